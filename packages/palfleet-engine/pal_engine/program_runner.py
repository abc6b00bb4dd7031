"""Run a Pulumi Python program in-process against our monitor, isolated from earlier runs.

The SDK keeps its runtime state in ``ContextVar`` s (``pulumi/runtime/settings.py``: every
``Settings`` property is a ``contextproperty``; the root stack resource is the ``ROOT`` var;
config is ``pulumi.runtime.config.CONFIG`` / ``_SECRET_KEYS``). Each run therefore happens in a
brand-new ``contextvars.Context`` on a dedicated thread with its own event loop, so a second run
in the same process starts from a clean runtime, and the caller's event loop (if any) is never
touched. The program is executed like the SDK's language host does -- ``run_in_stack`` around
``runpy.run_path(main, run_name="__main__")`` -- with the working directory set to the project
directory (process-wide, so runs are serialised by a lock) and the project directory on
``sys.path``. Config goes through ``set_all_config(config, secret_keys)``, so
``Config.require_secret`` yields secret outputs exactly as under ``pulumi up``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.stack import run_in_stack

from pal_engine.project import Project

_PROCESS_LOCK = threading.Lock()

_SEVERITIES = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


class DiagnosticsEngine:
    """The ``Engine`` gRPC surface the SDK calls for ``pulumi.log`` messages."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        self._redact = redact
        self._lock = threading.Lock()
        self.messages: list[str] = []

    def Log(self, request: Any) -> empty_pb2.Empty:
        if request.severity != engine_pb2.DEBUG:
            severity = _SEVERITIES.get(request.severity, "info")
            with self._lock:
                self.messages.append(self._redact(f"{severity}: {request.message}"))
        return empty_pb2.Empty()

    def RequirePulumiVersion(self, request: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def run_program(
    project: Project,
    stack: str,
    *,
    config: dict[str, str],
    secret_keys: set[str],
    preview: bool,
    monitor: Any,
    engine: DiagnosticsEngine,
    redact: Callable[[str], str],
    on_interrupt: Callable[[], None] = lambda: None,
    parallel: int = 4,
) -> str | None:
    """Run the project's program to completion; the program's error (redacted) or ``None``.

    Ctrl-C while it runs calls ``on_interrupt`` (the deployment starts no new step) and waits
    for the steps in flight; a second Ctrl-C propagates.
    """
    outcome: list[str | None] = []
    finished = threading.Event()

    def body() -> None:
        loop = asyncio.new_event_loop()
        # The language host's executor: `parallel` x 4 threads carry the program's
        # RegisterResource calls (sdk/python/cmd/pulumi-language-python-exec,
        # _set_default_executor); asyncio's own default is only min(32, cores + 4).
        executor = ThreadPoolExecutor(max_workers=max(parallel, 1) * 4)
        loop.set_default_executor(executor)
        try:
            asyncio.set_event_loop(loop)
            settings = runtime_settings.Settings(
                project=project.name,
                stack=stack,
                monitor=monitor,
                engine=engine,
                dry_run=preview,
                parallel=parallel,
                organization="organization",
                root_directory=str(project.directory),
            )
            runtime_settings.configure(settings)
            runtime_config.set_all_config(dict(config), sorted(secret_keys))
            main = str(project.main)

            def execute() -> None:
                runpy.run_path(main, run_name="__main__")

            loop.run_until_complete(run_in_stack(execute))
            outcome.append(None)
        except BaseException as error:
            outcome.append(redact(_describe(error)))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
                finished.set()

    with _PROCESS_LOCK:
        previous_cwd = os.getcwd()
        project_path = str(project.directory)
        sys.path.insert(0, project_path)
        os.chdir(project.directory)
        try:
            thread = threading.Thread(
                target=contextvars.Context().run, args=(body,), name="pulumi-program"
            )
            thread.start()
            # Not thread.join(): on 3.11 a join interrupted by Ctrl-C marks the thread stopped,
            # so a second join returns while it still runs.
            try:
                finished.wait()
            except KeyboardInterrupt:
                on_interrupt()
                finished.wait()
            thread.join()
        finally:
            os.chdir(previous_cwd)
            if project_path in sys.path:
                sys.path.remove(project_path)
    return outcome[0] if outcome else "the program thread ended without a result"


def _describe(error: BaseException) -> str:
    """A ``pulumi.RunError`` is shown as its message alone, as the CLI's language host does;
    anything else as an unhandled exception with where it happened."""
    if isinstance(error, pulumi.RunError):
        return str(error)
    frames = traceback.extract_tb(error.__traceback__)
    program_frames = [frame for frame in frames if "site-packages" not in frame.filename]
    where = ""
    if program_frames:
        last = program_frames[-1]
        where = f" (at {last.filename}:{last.lineno})"
    return f"program failed: {type(error).__name__}: {error}{where}"
