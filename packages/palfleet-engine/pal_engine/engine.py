"""``Engine``: preview / up / refresh / destroy of a Pulumi Python project without the Pulumi CLI.

A stand-in for the Pulumi engine, for lifecycle tests and for the demo on machines with no
``pulumi`` binary. It runs the project's program in-process against
:class:`~pal_engine.monitor.EngineMonitor` (SDK mocks machinery), forwards every
registration to the real dynamic provider server (:class:`ProviderHost`, i.e.
``python -m pulumi.dynamic``) over gRPC, and keeps state in an encrypted JSON
:class:`~pal_engine.checkpoint.Checkpoint`. Everything it prints says it is the
stand-in, not the Pulumi CLI.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from pal_engine import property_paths
from pal_engine.checkpoint import PROVIDER_TYPE, Checkpoint, ResourceState, Snapshot
from pal_engine.deployment import Deployment, DeploymentOptions, Mode
from pal_engine.monitor import EngineMonitor
from pal_engine.program_runner import DiagnosticsEngine, run_program
from pal_engine.project import (
    Project,
    ProjectError,
    load_project,
    load_stack_config,
    namespaced,
    validate_stack_config,
)
from pal_engine.provider_host import ProviderHost
from pal_engine.results import RunResult
from pal_engine.secrets import Redactor, secret_strings
from pal_engine.stack_lock import StackLock


class _HostLease:
    """Lends a shared provider host, or the engine's own, started on the calling thread.

    The engine starts its own host before the operation's worker threads exist: the host's
    server is bound to the life of the thread that started it (``PR_SET_PDEATHSIG``).
    """

    def __init__(self, shared: ProviderHost | None, build: ProviderHost) -> None:
        self._shared = shared
        self._host = shared if shared is not None else build
        self._host.start()
        self._host.take_messages()  # only this operation's messages from here on

    def __call__(self) -> ProviderHost:
        return self._host

    def messages(self) -> list[str]:
        return self._host.take_messages()

    def close(self) -> None:
        if self._shared is None:
            self._host.close()


class Engine:
    """Pulumi-engine stand-in for one stack of one project.

    ``config`` keys may omit the namespace (``key`` means ``<project>:key``); values are
    strings as with ``pulumi config set``. Keys in ``secret_config_keys`` are secret: the program
    gets them as secret outputs (``Config.require_secret``) and they never reach the checkpoint
    or any message in clear. Config is layered: ``Pulumi.yaml`` defaults, then
    ``Pulumi.<stack>.yaml``, then ``config``, and checked with the CLI's rules before anything
    runs. A ``secure:`` value in the stack file must be supplied in ``config`` (the stand-in
    cannot decrypt the CLI's secrets).

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
                f"{', '.join(undecryptable)}; pass them as secrets (--secrets-file)"
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
        self._deployment: Deployment | None = None

    # public operations -------------------------------------------------------------------------

    def preview(self, **options: Any) -> RunResult:
        """Check + Diff for every resource the program registers; nothing is written."""
        with self._locked():
            return self._run_program("preview", _options(**options))

    def up(self, *, skip_preview: bool = False, refresh: bool = False, **options: Any) -> RunResult:
        """Preview first (as the CLI does, also with ``--yes``) and stop if the preview fails;
        then create/update/replace what the program declares and delete what it no longer
        declares. ``refresh=True`` is ``pulumi up --refresh``: a refresh first, same lock."""
        run_options = _options(**options)
        with self._locked():
            earlier: list[RunResult] = []
            if refresh:
                refreshed = self._without_program("refresh", run_options)
                earlier.append(refreshed)
                if not refreshed.ok:
                    return refreshed
            if not skip_preview:
                preview = self._run_program("preview", run_options)
                if not preview.ok:
                    earlier.append(preview)
                    return RunResult(
                        operation="up",
                        project=self.project.name,
                        stack=self.stack,
                        errors=[*preview.errors, "the preview failed, so nothing was changed"],
                        preceded_by=earlier,
                        resources=preview.resources,
                        outputs=preview.outputs,
                        secret_outputs=preview.secret_outputs,
                    )
                # The preview's steps are kept for the report; its copy of the previous state
                # is not (the update loads its own), nor the program objects it leaves behind.
                earlier.append(preview.model_copy(update={"resources": {}}))
                del preview
                gc.collect()
            result = self._run_program("up", run_options)
            return result.model_copy(update={"preceded_by": earlier})

    def refresh(
        self,
        *,
        clear_pending_creates: bool = False,
        import_pending_creates: Mapping[str, str] | None = None,
        **options: Any,
    ) -> RunResult:
        """Read every resource; record out-of-band changes and deletions in the checkpoint.
        Pending creates of an interrupted run are kept unless cleared or imported by id."""
        with self._locked():
            return self._without_program(
                "refresh",
                _options(**options),
                clear_pending_creates=clear_pending_creates,
                import_pending_creates=dict(import_pending_creates or {}),
            )

    def destroy(self, **options: Any) -> RunResult:
        """Delete every resource in the checkpoint (dependents first)."""
        with self._locked():
            return self._without_program("destroy", _options(**options))

    def state(self) -> Snapshot:
        """The checkpoint as it is on disk now (plaintext in memory)."""
        return self.checkpoint.load()

    def cancel(self) -> None:
        """Ctrl-C: start no new step; the steps in flight finish (or stay recorded as pending)."""
        if self._deployment is not None:
            self._deployment.cancel()

    # plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with StackLock(self.checkpoint.path):
            yield

    def _redactor(self, extra: Mapping[str, str] | None = None) -> Redactor:
        values = [self.config[key] for key in self.secret_config_keys]
        return Redactor([*values, *(extra or {}).values()])

    def _provider_state(self) -> ResourceState:
        """The default dynamic provider as ``up`` records it: the whole stack config."""
        secret_paths = {(key,) for key in self.secret_config_keys if key in self.config}
        return ResourceState(
            urn=f"urn:pulumi:{self.stack}::{self.project.name}::{PROVIDER_TYPE}::default",
            type=PROVIDER_TYPE,
            name="default",
            id="default",
            inputs=dict(self.config),
            secret_inputs=frozenset(property_paths.format_path(p) for p in secret_paths),
        )

    def _host_lease(self, config: Mapping[str, str], secret_values: list[str]) -> _HostLease:
        build = ProviderHost(
            self.project.directory, self.project.name, config, secret_values=secret_values
        )
        return _HostLease(self._shared_host, build)

    def _deployment_for(
        self,
        mode: Mode,
        host: _HostLease,
        redactor: Redactor,
        snapshot: Snapshot,
        options: DeploymentOptions,
    ) -> Deployment:
        deployment = Deployment(
            mode=mode,
            project=self.project.name,
            stack=self.stack,
            snapshot=snapshot,
            checkpoint=self.checkpoint,
            host=host,
            redactor=redactor,
            options=options,
        )
        self._deployment = deployment
        return deployment

    def _run_program(self, mode: Mode, options: DeploymentOptions) -> RunResult:
        redactor = self._redactor()
        if mode == "up":
            options = replace(options, provider=self._provider_state())
        # The checkpoint's key is derived while the provider server starts.
        self.checkpoint.prepare_key()
        host = self._host_lease(self.config, [self.config[k] for k in self.secret_config_keys])
        errors: list[str] = []
        diagnostics = DiagnosticsEngine(redactor)
        try:
            snapshot = self.checkpoint.load()
            if mode == "up" and snapshot.pending_operations:
                diagnostics.messages.append(pending_operations_warning(snapshot))
            deployment = self._deployment_for(mode, host, redactor, snapshot, options)
            program_error = run_program(
                self.project,
                self.stack,
                config=self.config,
                secret_keys=self.secret_config_keys,
                preview=mode == "preview",
                monitor=EngineMonitor(deployment),
                engine=diagnostics,
                redact=redactor,
                on_interrupt=deployment.cancel,
                parallel=options.parallelism,
            )
            if program_error is not None:
                errors.append(program_error)
            elif deployment.may_delete():
                deployment.delete_unregistered()
            if deployment.writes and deployment.provider != snapshot.provider:
                deployment.save()  # the default provider's config changed: its update step
        finally:
            messages = host.messages()
            host.close()
            self._deployment = None
        return self._result(mode, deployment, errors, diagnostics.messages + messages)

    def _without_program(
        self,
        mode: Mode,
        options: DeploymentOptions,
        *,
        clear_pending_creates: bool = False,
        import_pending_creates: dict[str, str] | None = None,
    ) -> RunResult:
        snapshot = self.checkpoint.load()
        # The provider is configured from the state, as EnsureProvider does without a program:
        # refresh and destroy talk to the account of the last `up`.
        config, secret_values = self.config, [self.config[k] for k in self.secret_config_keys]
        if snapshot.provider is not None:
            config = {k: str(v) for k, v in snapshot.provider.inputs.items()}
            secret_values = sorted(
                secret_strings(snapshot.provider.inputs, snapshot.provider.input_secret_paths)
            )
        redactor = self._redactor({str(i): v for i, v in enumerate(secret_values)})
        host = self._host_lease(config, secret_values)
        errors: list[str] = []
        try:
            deployment = self._deployment_for(mode, host, redactor, snapshot, options)
            try:
                if mode == "refresh":
                    still_pending = deployment.resolve_pending_creates(
                        clear_pending_creates, import_pending_creates or {}
                    )
                    deployment.refresh()
                    if still_pending:
                        errors.append(
                            f"{len(still_pending)} create(s) interrupted in an earlier run are "
                            "still pending: check the account, then run refresh with "
                            "--clear-pending-creates (they were not created) or "
                            "--import-pending-creates URN ID (they were)"
                        )
                else:
                    deployment.delete(list(deployment.current))
                    if not deployment.current:
                        deployment.clear_stack_outputs()
            except KeyboardInterrupt:
                deployment.cancel()
                errors.append("cancelled by the user (Ctrl-C)")
        finally:
            messages = host.messages()
            host.close()
            self._deployment = None
        return self._result(mode, deployment, errors, messages)

    def _result(
        self, mode: Mode, deployment: Deployment, errors: list[str], diagnostics: list[str]
    ) -> RunResult:
        snapshot = (
            deployment.snapshot()
            if mode != "preview"
            else Snapshot(resources=tuple(deployment.old.values()))
        )
        if deployment.cancelled and not any(step.failed for step in deployment.steps):
            errors = errors or ["cancelled by the user (Ctrl-C)"]
        pending = [
            f"{op.resource.urn}, interrupted while {op.type}"
            for op in (snapshot.pending_operations if mode != "preview" else ())
        ]
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
            not_started=deployment.not_started,
            cancelled=deployment.cancelled,
            pending_operations=pending,
            checkpoint_writes=deployment.writes_count,
        )


def _options(**options: Any) -> DeploymentOptions:
    """``continue_on_error``, ``targets`` and ``replace`` (URNs), ``parallelism``."""
    for key in ("targets", "replace"):
        if key in options:
            options[key] = frozenset(options[key])
    return DeploymentOptions(**options)


def pending_operations_warning(snapshot: Snapshot) -> str:
    """The CLI's warning for a deployment that starts with pending operations
    (``deployment_executor.go``: ``printPendingOperationsWarning``)."""
    lines = [
        "warning: Attempting to deploy or update resources with "
        f"{len(snapshot.pending_operations)} pending operations from previous deployment."
    ]
    lines += [
        f"  * {op.resource.urn}, interrupted while {op.type}" for op in snapshot.pending_operations
    ]
    lines.append(
        "These resources are in an unknown state because the engine was interrupted while "
        "waiting for changes to these resources to complete. Run `refresh` to reconcile the "
        "state with the account and clear them (pending creates need --clear-pending-creates "
        "or --import-pending-creates URN ID)."
    )
    return "\n".join(lines)
