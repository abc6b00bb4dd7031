"""``Engine``: preview / up / refresh / destroy of a Pulumi Python project without the Pulumi CLI.

A stand-in for the Pulumi engine, for lifecycle tests and for the demo on machines with no
``pulumi`` binary. It runs the project's program in-process against
:class:`~pal_provider.engine.monitor.EngineMonitor` (SDK mocks machinery), forwards every
registration to the real dynamic provider server (:class:`ProviderHost`, i.e.
``python -m pulumi.dynamic``) over gRPC, and keeps state in an encrypted JSON
:class:`~pal_provider.engine.checkpoint.Checkpoint`. Everything it prints says it is the
stand-in, not the Pulumi CLI.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from pal_provider.engine.checkpoint import Checkpoint, Snapshot
from pal_provider.engine.deployment import Deployment, Mode
from pal_provider.engine.monitor import EngineMonitor
from pal_provider.engine.program_runner import DiagnosticsEngine, run_program
from pal_provider.engine.project import (
    Project,
    ProjectError,
    load_project,
    load_stack_config,
    namespaced,
    validate_stack_config,
)
from pal_provider.engine.provider_host import ProviderHost
from pal_provider.engine.results import RunResult
from pal_provider.engine.secrets import Redactor


class _HostLease:
    """Starts a provider host on first use (or lends a shared one) and stops only its own."""

    def __init__(self, shared: ProviderHost | None, build: ProviderHost) -> None:
        self._shared = shared
        self._build = build
        self._lock = threading.Lock()
        self._started: ProviderHost | None = None

    def __call__(self) -> ProviderHost:
        if self._shared is not None:
            return self._shared.start()
        with self._lock:
            if self._started is None:
                self._started = self._build.start()
            return self._started

    def close(self) -> None:
        with self._lock:
            if self._started is not None:
                self._started.close()
                self._started = None


class Engine:
    """Pulumi-engine stand-in for one stack of one project.

    ``config`` keys may omit the namespace (``key`` means ``<project>:key``); values are
    strings as with ``pulumi config set``. Keys in ``secret_config_keys`` are secret: the program
    gets them as secret outputs (``Config.require_secret``) and they never reach the checkpoint
    or any message in clear. Config is layered: ``Pulumi.yaml`` defaults, then
    ``Pulumi.<stack>.yaml``, then ``config``. A ``secure:`` value in the stack file must be
    supplied in ``config`` (the stand-in cannot decrypt the CLI's secrets).

    ``provider_host``: optionally a shared, already configured :class:`ProviderHost` (faster
    tests); it is not closed by the engine and keeps the config it was started with.
    """

    def __init__(
        self,
        project_dir: Path,
        stack: str,
        checkpoint_path: Path,
        config: Mapping[str, str],
        secret_config_keys: set[str],
        passphrase: str | None = None,
        *,
        provider_host: ProviderHost | None = None,
    ) -> None:
        self.project: Project = load_project(Path(project_dir))
        self.stack = stack
        self.checkpoint = Checkpoint(Path(checkpoint_path), passphrase)
        name = self.project.name
        explicit = {namespaced(key, name): str(value) for key, value in config.items()}
        self.secret_config_keys = {namespaced(key, name) for key in secret_config_keys}
        missing = sorted(self.secret_config_keys - set(explicit))
        if missing:
            raise ProjectError(f"secret config keys without a value: {', '.join(missing)}")
        stack_config = load_stack_config(self.project, stack)
        undecryptable = sorted(stack_config.secure_keys - set(explicit))
        if undecryptable:
            raise ProjectError(
                f"Pulumi.{stack}.yaml holds encrypted values the stand-in cannot read: "
                f"{', '.join(undecryptable)}; pass them as secrets (--secret KEY=VALUE)"
            )
        self.secret_config_keys |= set(stack_config.secure_keys)
        problems = validate_stack_config(
            self.project,
            stack,
            {**stack_config.values, **explicit},
            self.secret_config_keys,
        )
        if problems:
            raise ProjectError("; ".join(problems))
        self.config: dict[str, str] = {
            **self.project.config_defaults,
            **stack_config.values,
            **explicit,
        }
        self._shared_host = provider_host

    # public operations -------------------------------------------------------------------------

    def preview(self) -> RunResult:
        """Check + Diff for every resource the program registers; nothing is written."""
        return self._run_program("preview")

    def up(self) -> RunResult:
        """Create/update/replace what the program declares, delete what it no longer declares."""
        return self._run_program("up")

    def refresh(self) -> RunResult:
        """Read every resource; record out-of-band changes and deletions in the checkpoint."""
        return self._without_program("refresh")

    def destroy(self) -> RunResult:
        """Delete every resource in the checkpoint (dependents first)."""
        return self._without_program("destroy")

    def state(self) -> Snapshot:
        """The checkpoint as it is on disk now (plaintext in memory)."""
        return self.checkpoint.load()

    # plumbing --------------------------------------------------------------------------------

    def _redactor(self) -> Redactor:
        return Redactor(self.config[key] for key in self.secret_config_keys)

    def _host_lease(self, redactor: Redactor) -> _HostLease:
        build = ProviderHost(
            self.project.directory,
            self.project.name,
            self.config,
            secret_values=[self.config[key] for key in self.secret_config_keys],
        )
        return _HostLease(self._shared_host, build)

    def _deployment(self, mode: Mode, host: _HostLease, redactor: Redactor) -> Deployment:
        return Deployment(
            mode=mode,
            project=self.project.name,
            stack=self.stack,
            snapshot=self.checkpoint.load(),
            checkpoint=self.checkpoint,
            host=host,
            redactor=redactor,
        )

    def _run_program(self, mode: Mode) -> RunResult:
        redactor = self._redactor()
        host = self._host_lease(redactor)
        errors: list[str] = []
        diagnostics = DiagnosticsEngine(redactor)
        try:
            deployment = self._deployment(mode, host, redactor)
            program_error = run_program(
                self.project,
                self.stack,
                config=self.config,
                secret_keys=self.secret_config_keys,
                preview=mode == "preview",
                monitor=EngineMonitor(deployment),
                engine=diagnostics,
                redact=redactor,
            )
            if program_error is not None:
                errors.append(program_error)
            else:
                deployment.delete_unregistered()
        finally:
            host.close()
        return self._result(mode, deployment, errors, diagnostics.messages)

    def _without_program(self, mode: Mode) -> RunResult:
        redactor = self._redactor()
        host = self._host_lease(redactor)
        try:
            deployment = self._deployment(mode, host, redactor)
            if mode == "refresh":
                deployment.refresh()
            else:
                deployment.delete(list(deployment.current))
                if not deployment.current:
                    deployment.clear_stack_outputs()
        finally:
            host.close()
        return self._result(mode, deployment, [], [])

    def _result(
        self, mode: Mode, deployment: Deployment, errors: list[str], diagnostics: list[str]
    ) -> RunResult:
        snapshot = (
            deployment.snapshot()
            if mode != "preview"
            else Snapshot(resources=tuple(deployment.old.values()))
        )
        return RunResult(
            operation=mode,
            project=self.project.name,
            stack=self.stack,
            steps=list(deployment.steps),
            errors=errors,
            outputs=deployment.stack_outputs,
            secret_outputs=deployment.stack_output_secrets,
            diagnostics=diagnostics,
            resources={resource.urn: resource for resource in snapshot.resources},
        )
