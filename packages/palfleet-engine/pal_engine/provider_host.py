"""Host for the SDK's dynamic provider server (``python -m pulumi.dynamic``), spoken to over gRPC.

What the server does (``pulumi/dynamic/__main__.py``, SDK 3.x):

* ``main()`` binds ``127.0.0.1:0``, prints the chosen port on stdout and serves
  ``ResourceProvider`` with ``ThreadPoolExecutor(max_workers=4)``;
* ``Configure`` stores ``deserialize_properties(request.args)`` (secrets unwrapped) and answers
  ``acceptSecrets: False``: values we send are plain, values it returns are plain;
* ``get_provider`` decodes the ``__provider`` property (base64 + ``dill``) once per distinct blob
  and calls ``provider.configure(ConfigureRequest(Config(config, get_project())))`` with the config
  stored by ``Configure``; ``get_project()`` is ``PULUMI_PROJECT`` from the environment;
* any exception in Check/Diff/Create/Read/Update/Delete aborts the call with
  ``StatusCode.UNKNOWN`` and ``traceback.format_exc()`` as details (``_abort_with_traceback``),
  which the CLI prints as the resource's error; the stand-in shows them the same way.

The server dies with the process that started it (``PR_SET_PDEATHSIG``), also when that process
is killed: the PDEATHSIG fires when the *thread* that started it ends, so the engine starts its
host on the thread that runs the whole operation.

The host therefore starts the server with ``PYTHONPATH`` covering the project directory (so the
provider module the blob references by name is importable) and ``PULUMI_PROJECT`` set, sends
``Configure`` once, and exposes typed, thread-safe calls taking and returning plain dicts.
Note the caching above: a host keeps the configuration it was started with for its lifetime,
so share one host only between engines whose provider configuration is the same.
"""

from __future__ import annotations

import collections
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pydantic import BaseModel, ConfigDict, Field

from pal_engine.secrets import Redactor
from pal_engine.wire import plain_to_struct, struct_to_plain

PROVIDER_KEY = "__provider"

DiffChanges = Literal["none", "some", "unknown"]

_CHANGES = {
    provider_pb2.DiffResponse.DIFF_NONE: "none",
    provider_pb2.DiffResponse.DIFF_SOME: "some",
    provider_pb2.DiffResponse.DIFF_UNKNOWN: "unknown",
}


class ProviderError(Exception):
    """A provider call failed; ``details`` is the server's (redacted) traceback."""

    def __init__(self, method: str, code: str, details: str) -> None:
        self.method = method
        self.code = code
        self.details = details
        last_line = next(
            (line.strip() for line in reversed(details.splitlines()) if line.strip()), ""
        )
        self.reason = last_line or code
        super().__init__(f"{method} failed ({code}): {self.reason}")


class ProviderStartError(RuntimeError):
    """The dynamic provider server did not start or did not answer."""


class CheckFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    property: str
    reason: str


class CheckOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    inputs: dict[str, Any]
    failures: list[CheckFailure] = Field(default_factory=list)


class DiffOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    changes: DiffChanges
    replaces: list[str] = Field(default_factory=list)
    stables: list[str] = Field(default_factory=list)
    delete_before_replace: bool = False
    diffs: list[str] = Field(default_factory=list)
    detailed_diff: dict[str, str] = Field(default_factory=dict)


class CreateOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    outputs: dict[str, Any]


class ReadOutcome(BaseModel):
    """``id == ""`` means the resource no longer exists."""

    model_config = ConfigDict(frozen=True)

    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any] | None = None


class ProviderHost:
    """A running ``python -m pulumi.dynamic`` server plus a gRPC client for it.

    Use as a context manager (or call :meth:`start` / :meth:`close`). All call methods are safe
    to use from several threads at once; the server itself runs four calls in parallel and
    queues the rest.
    """

    def __init__(
        self,
        project_dir: Path,
        project_name: str,
        config: Mapping[str, str],
        *,
        secret_values: Iterable[str] = (),
        extra_pythonpath: Iterable[Path] = (),
        startup_timeout: float = 30.0,
        call_timeout: float = 300.0,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.project_name = project_name
        self.config: dict[str, str] = dict(config)
        self._redact = Redactor(secret_values)
        self._extra_pythonpath = [Path(path).resolve() for path in extra_pythonpath]
        self._startup_timeout = startup_timeout
        self._call_timeout = call_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._messages: list[str] = []
        self._messages_lock = threading.Lock()
        self._start_lock = threading.Lock()

    # lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> ProviderHost:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> ProviderHost:
        with self._start_lock:
            if self._process is not None:
                return self
            self._process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(os.getpid())],
                cwd=self.project_dir,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # Its own process group: a terminal's Ctrl-C goes to the engine, which lets the
                # steps in flight finish, instead of stopping the server under them.
                start_new_session=True,
            )
            try:
                port = self._read_port(self._process)
                self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
                grpc.channel_ready_future(self._channel).result(timeout=self._startup_timeout)
                self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
                self._configure()
            except BaseException:
                self._stop()
                raise
        return self

    def close(self) -> None:
        with self._start_lock:
            self._stop()

    def _stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._channel = None
        self._stub = None
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(self.project_dir), *(str(path) for path in self._extra_pythonpath)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PULUMI_PROJECT"] = self.project_name
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _read_port(self, process: subprocess.Popen[bytes]) -> int:
        assert process.stdout is not None and process.stderr is not None
        deadline = time.monotonic() + self._startup_timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(timeout=remaining):
                    raise ProviderStartError(
                        f"python -m pulumi.dynamic printed no port within {self._startup_timeout}s"
                    )
                chunk = os.read(process.stdout.fileno(), 1)
                if not chunk:
                    stderr = self._redact(process.stderr.read().decode(errors="replace"))
                    raise ProviderStartError(
                        f"python -m pulumi.dynamic exited ({process.wait()}) before printing its "
                        f"port:\n{stderr[-4000:]}"
                    )
                line += chunk
        threading.Thread(target=self._drain, args=(process.stdout, False), daemon=True).start()
        threading.Thread(target=self._drain, args=(process.stderr, True), daemon=True).start()
        try:
            return int(line.strip())
        except ValueError as error:
            raise ProviderStartError(f"unexpected first line from the server: {line!r}") from error

    def _drain(self, stream: IO[bytes], diagnostics: bool) -> None:
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\n")
                self._output.append(line)
                if diagnostics and line.strip():
                    with self._messages_lock:
                        self._messages.append(line)
        except (OSError, ValueError):
            return

    def take_messages(self) -> list[str]:
        """What the provider wrote to stderr since the last call (its ``pulumi.log`` warnings):
        the CLI shows a plugin's stderr as diagnostics (``pkg/resource/plugin/plugin.go``,
        ``runtrace``). Redacted."""
        with self._messages_lock:
            taken, self._messages = self._messages, []
        return [self._redact(line) for line in taken]

    def _configure(self) -> None:
        request = provider_pb2.ConfigureRequest(
            variables=self.config,
            args=plain_to_struct(dict(self.config)),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        self._call("Configure", request, ())

    # calls -------------------------------------------------------------------------------------

    def _call(self, method: str, request: Any, secret_values: Iterable[str]) -> Any:
        stub = self._stub
        if stub is None:
            raise ProviderStartError(
                "the provider host is not started (use it as a context manager)"
            )
        try:
            return getattr(stub, method)(request, timeout=self._call_timeout)
        except grpc.RpcError as error:
            redact = Redactor(secret_values)
            code = error.code().name if error.code() is not None else "UNKNOWN"
            details = redact(self._redact(error.details() or ""))
            raise ProviderError(method, code, details) from None

    def check(
        self,
        urn: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        *,
        secret_values: Iterable[str] = (),
    ) -> CheckOutcome:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.CheckRequest(
            urn=urn, olds=plain_to_struct(olds), news=plain_to_struct(news), name=name, type=type_
        )
        response = self._call("Check", request, secret_values)
        inputs, _ = struct_to_plain(response.inputs)
        failures = [CheckFailure(property=f.property, reason=f.reason) for f in response.failures]
        return CheckOutcome(inputs=inputs, failures=failures)

    def diff(
        self,
        id: str,
        urn: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        *,
        old_inputs: dict[str, Any] | None = None,
        ignore_changes: Iterable[str] = (),
        secret_values: Iterable[str] = (),
    ) -> DiffOutcome:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.DiffRequest(
            id=id,
            urn=urn,
            olds=plain_to_struct(olds),
            news=plain_to_struct(news),
            old_inputs=plain_to_struct(old_inputs or {}),
            ignoreChanges=list(ignore_changes),
            name=name,
            type=type_,
        )
        response = self._call("Diff", request, secret_values)
        kinds = provider_pb2.PropertyDiff.Kind
        return DiffOutcome(
            changes=_CHANGES.get(response.changes, "unknown"),
            replaces=list(response.replaces),
            stables=list(response.stables),
            delete_before_replace=response.deleteBeforeReplace,
            diffs=list(response.diffs),
            detailed_diff={
                key: kinds.Name(diff.kind) for key, diff in response.detailedDiff.items()
            },
        )

    def create(
        self,
        urn: str,
        properties: dict[str, Any],
        *,
        preview: bool = False,
        secret_values: Iterable[str] = (),
    ) -> CreateOutcome:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.CreateRequest(
            urn=urn,
            properties=plain_to_struct(properties),
            preview=preview,
            name=name,
            type=type_,
            timeout=self._call_timeout,
        )
        response = self._call("Create", request, secret_values)
        outputs, _ = struct_to_plain(response.properties)
        return CreateOutcome(id=response.id, outputs=outputs)

    def read(
        self,
        id: str,
        urn: str,
        properties: dict[str, Any],
        inputs: dict[str, Any],
        *,
        secret_values: Iterable[str] = (),
    ) -> ReadOutcome:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.ReadRequest(
            id=id,
            urn=urn,
            properties=plain_to_struct(properties),
            inputs=plain_to_struct(inputs),
            name=name,
            type=type_,
            timeout=self._call_timeout,
        )
        response = self._call("Read", request, secret_values)
        outputs, _ = struct_to_plain(response.properties)
        returned_inputs = None
        if response.HasField("inputs") and response.inputs.fields:
            returned_inputs, _ = struct_to_plain(response.inputs)
        return ReadOutcome(id=response.id, outputs=outputs, inputs=returned_inputs)

    def update(
        self,
        id: str,
        urn: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        *,
        old_inputs: dict[str, Any] | None = None,
        secret_values: Iterable[str] = (),
    ) -> dict[str, Any]:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.UpdateRequest(
            id=id,
            urn=urn,
            olds=plain_to_struct(olds),
            news=plain_to_struct(news),
            old_inputs=plain_to_struct(old_inputs or {}),
            name=name,
            type=type_,
            timeout=self._call_timeout,
        )
        response = self._call("Update", request, secret_values)
        outputs, _ = struct_to_plain(response.properties)
        return outputs

    def delete(
        self,
        id: str,
        urn: str,
        properties: dict[str, Any],
        *,
        old_inputs: dict[str, Any] | None = None,
        secret_values: Iterable[str] = (),
    ) -> None:
        name, type_ = _name_and_type(urn)
        request = provider_pb2.DeleteRequest(
            id=id,
            urn=urn,
            properties=plain_to_struct(properties),
            old_inputs=plain_to_struct(old_inputs or {}),
            name=name,
            type=type_,
            timeout=self._call_timeout,
        )
        self._call("Delete", request, secret_values)


# Runs `python -m pulumi.dynamic` bound to the life of its parent: PR_SET_PDEATHSIG survives
# the exec, and a parent that died before the prctl is caught by comparing the parent pid.
# (Done in a launcher, not a preexec_fn: a Python preexec_fn runs gRPC's fork handlers in the
# child of a process that uses gRPC, which can abort it.)
_LAUNCHER = """
import ctypes, os, runpy, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)
sys.argv = ["pulumi.dynamic"]
runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
"""


def _name_and_type(urn: str) -> tuple[str, str]:
    """``urn:pulumi:<stack>::<project>::<qualified type>::<name>`` -> (name, type)."""
    parts = urn.split("::")
    if len(parts) < 4:
        return "", ""
    return parts[-1], parts[2].split("$")[-1]
