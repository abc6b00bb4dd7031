"""The step logic of one engine operation: what Pulumi's deployment executor does per resource.

Per registered resource (``up`` / ``preview``), in the engine's order
(``pkg/resource/deploy/step_generator.go``: ``generateSteps``, ``diff``, ``continueStepsFromDiff``):

1. not in ``--target``: an existing resource keeps its old state (a same step), a new one is
   not created (``NewSkippedCreateStep``);
2. ``Check(urn, olds=previous inputs, news=program inputs)``; in a preview the inputs may hold
   unknowns (the sentinel string; the SDK's server hands the provider ``Unknown`` objects);
3. if the resource is in the checkpoint: in ``--replace``, a replacement blamed on ``id``
   without calling Diff (``isTargetedReplace``); otherwise ``Diff(id, urn, olds=previous
   outputs, news=checked inputs, old_inputs=previous inputs)``: ``DIFF_NONE`` -> same,
   ``replaces`` -> replace, ``DIFF_UNKNOWN`` -> the engine compares old and new inputs itself
   (``diffResource``). A replacement deletes first when the resource option says so, else when
   the provider says so (``goal.DeleteBeforeReplace`` wins over ``diff.DeleteBeforeReplace``);
4. ``up`` only: ``Create`` / ``Update`` / ``Delete``, each recorded as a pending operation in
   the checkpoint before the provider is called and cleared after it answers
   (``pkg/backend/snapshot.go``: ``markOperationPending``); a same step writes nothing unless
   the state changed (``sameSnapshotMutation.mustWrite``). In a preview a dynamic provider is
   never asked to create or update (``provider_plugin.go``: ``Create`` returns the inputs as
   state when the provider does not support preview), so the program sees the inputs, and
   unknown ids and outputs, for resources that would change.

Failures: in ``up`` the first failed step cancels the run: steps in flight finish, no new step
starts, nothing is deleted (``step_executor.go``: ``cancelDueToError``); with
``continue_on_error`` the run goes on and only dependents of a failure are skipped. A preview
reports every failure. After the program, resources in the checkpoint that it did not register
are deleted, dependents first, only when the program succeeded and nothing failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi.runtime.proto import resource_pb2

from pal_engine import property_paths
from pal_engine.checkpoint import (
    Checkpoint,
    OperationType,
    PendingOperation,
    ResourceState,
    Snapshot,
)
from pal_engine.property_paths import PropertyPath
from pal_engine.provider_host import (
    PROVIDER_KEY,
    CheckFailure,
    DiffOutcome,
    ProviderError,
    ProviderHost,
    ReadOutcome,
)
from pal_engine.results import Step, StepOp
from pal_engine.secrets import Redactor, carried_secrets, output_secrets, secret_strings
from pal_engine.wire import (
    contains_unknown,
    drop_unknowns,
    plain_to_struct,
    struct_to_plain,
)

Mode = Literal["preview", "up", "refresh", "destroy"]
HostGetter = Callable[[], ProviderHost]

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class DeploymentOptions:
    """The CLI's flags that change how steps are generated and executed."""

    continue_on_error: bool = False
    targets: frozenset[str] = frozenset()
    replace: frozenset[str] = frozenset()
    parallelism: int = 4
    provider: ResourceState | None = field(default=None)


class _StepFailed(Exception):
    def __init__(
        self,
        message: str,
        check_failures: Iterable[CheckFailure] = (),
        op: StepOp | None = None,
    ) -> None:
        super().__init__(message)
        self.check_failures = list(check_failures)
        self.op = op


class GroupCommit:
    """Durable writes shared by concurrent callers (a database's group commit).

    ``commit(v, snapshot)`` returns once a snapshot at least as new as change ``v`` is on
    disk. A caller that finds no write in progress writes the newest snapshot handed in; the
    others wait, and one write then covers all of their changes. The checkpoint is still
    durable before every provider call that needs it (a pending operation), but parallel
    steps no longer cost one whole-state write each.
    """

    def __init__(self, save: Callable[[Snapshot], None]) -> None:
        self._save = save
        self._condition = threading.Condition()
        self._newest: tuple[int, Snapshot | None] = (0, None)
        self._written = 0
        self._writing = False
        self.writes = 0

    @property
    def requested(self) -> int:
        """The newest change handed in."""
        with self._condition:
            return self._newest[0]

    def commit(self, version: int, snapshot: Snapshot) -> None:
        with self._condition:
            if version > self._newest[0]:
                self._newest = (version, snapshot)
            while self._written < version:
                if self._writing:
                    self._condition.wait()
                    continue
                self._writing = True
                target, newest = self._newest
                assert newest is not None
                self._condition.release()
                try:
                    self._save(newest)
                finally:
                    self._condition.acquire()
                    self._writing = False
                    self._condition.notify_all()
                self._written = max(self._written, target)
                self.writes += 1


def dependency_order(states: dict[str, ResourceState]) -> list[str]:
    """URNs with every dependency (and parent) before its dependents, otherwise stable."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(urn: str, trail: frozenset[str]) -> None:
        if urn in seen or urn in trail or urn not in states:
            return
        state = states[urn]
        for dependency in (*state.dependencies, state.parent):
            visit(dependency, trail | {urn})
        seen.add(urn)
        ordered.append(urn)

    for urn in states:
        visit(urn, frozenset())
    return ordered


def delete_antichains(states: dict[str, ResourceState], doomed: set[str]) -> list[list[str]]:
    """``doomed`` in antichains: each chain holds the resources no other doomed resource still
    depends on (by dependency or parent), so a chain's deletes can run at once."""
    left = [urn for urn in reversed(dependency_order(states)) if urn in doomed]
    chains: list[list[str]] = []
    while left:
        needed = {
            needed
            for urn in left
            for needed in (*states[urn].dependencies, states[urn].parent)
            if needed
        }
        chain = [urn for urn in left if urn not in needed] or left  # a cycle: all at once
        chains.append(chain)
        left = [urn for urn in left if urn in needed]
    return chains


def _formatted(paths: Iterable[PropertyPath]) -> frozenset[str]:
    return frozenset(property_paths.format_path(path) for path in paths if path)


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the leaves that differ (lists count as one leaf), as `pulumi preview
    --diff` would point at them. Paths only: values, and so secrets, are never included."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            if key == PROVIDER_KEY or old.get(key) == new.get(key):
                continue
            found.extend(
                changed_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
            )
        return found
    return [prefix] if old != new else []


class Deployment:
    """Mutable state of one operation; every method is safe to call from several threads."""

    def __init__(
        self,
        *,
        mode: Mode,
        project: str,
        stack: str,
        snapshot: Snapshot,
        checkpoint: Checkpoint | None,
        host: HostGetter,
        redactor: Redactor,
        options: DeploymentOptions | None = None,
    ) -> None:
        self.mode = mode
        self.project = project
        self.stack = stack
        self.options = options or DeploymentOptions()
        self.old = snapshot.by_urn()
        self.current: dict[str, ResourceState] = snapshot.by_urn()
        self.stack_outputs: dict[str, Any] = dict(snapshot.outputs)
        self.stack_output_secrets: frozenset[str] = snapshot.secret_outputs
        self.previous_pending: tuple[PendingOperation, ...] = snapshot.pending_operations
        # Pending creates of an earlier run stay until a refresh resolves them; the others are
        # dropped by the next deployment (snapshot.go: Snap).
        self.pending: list[PendingOperation] = [
            op for op in snapshot.pending_operations if op.type == "creating"
        ]
        self.provider: ResourceState | None = self.options.provider or snapshot.provider
        self.stack_urn = ""
        self.registered: set[str] = set()
        self.failed: set[str] = set()
        self.steps: list[Step] = []
        self.cancelled = False
        self.not_started = 0
        self._checkpoint = checkpoint
        self._commits = GroupCommit(checkpoint.save if checkpoint else lambda _snapshot: None)
        self._version = 0
        self._host = host
        self._redact = redactor
        self._lock = threading.RLock()
        for state in snapshot.resources:
            self._remember_secrets(state)

    @property
    def writes(self) -> bool:
        return self.mode != "preview"

    # bookkeeping -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Start no new step (Ctrl-C, or the first failure of an ``up``); steps in flight finish."""
        with self._lock:
            self.cancelled = True

    def _remember_secrets(self, state: ResourceState) -> None:
        self._redact.add(secret_strings(state.inputs, state.input_secret_paths))
        self._redact.add(secret_strings(state.outputs, state.output_secret_paths))

    def _record(self, step: Step) -> None:
        with self._lock:
            self.steps.append(step)
            if step.failed and self.writes and not self.options.continue_on_error:
                self.cancelled = True

    def _store(self, state: ResourceState) -> None:
        with self._lock:
            if self.current.get(state.urn) == state:
                return  # an unchanged resource causes no write
            self.current[state.urn] = state
        self._save()

    def _forget(self, urn: str) -> None:
        with self._lock:
            self.current.pop(urn, None)
        self._save()

    def _begin(self, op: OperationType, state: ResourceState) -> PendingOperation:
        pending = PendingOperation(type=op, resource=state)
        with self._lock:
            self.pending.append(pending)
        self._save()
        return pending

    def _drop(self, pending: PendingOperation) -> None:
        # By identity: an equal operation may be pending from an earlier run (same resource,
        # same inputs); that one stays until a refresh resolves it.
        with self._lock:
            self.pending = [op for op in self.pending if op is not pending]

    def _end(self, pending: PendingOperation, result: ResourceState | None = None) -> None:
        """Clear a pending operation, storing the step's result with it in one write."""
        with self._lock:
            self._drop(pending)
            if result is not None:
                self.current[result.urn] = result
        self._save()

    def save(self) -> None:
        self._save()

    def _save(self) -> None:
        """Make the state as it is now durable before returning. Concurrent steps share
        writes: one write covers every change made before it started."""
        if not self.writes or self._checkpoint is None:
            return
        with self._lock:
            self._version += 1
            version, snapshot = self._version, self.snapshot()
        self._commits.commit(version, snapshot)

    @property
    def writes_count(self) -> int:
        return self._commits.writes

    def snapshot(self) -> Snapshot:
        with self._lock:
            order = dependency_order(self.current)
            return Snapshot(
                project=self.project,
                stack=self.stack,
                resources=tuple(self.current[urn] for urn in order),
                outputs=dict(self.stack_outputs),
                secret_outputs=self.stack_output_secrets,
                pending_operations=tuple(self.pending),
                provider=self.provider,
            )

    def _failure_step(self, base: dict[str, Any], op: StepOp, error: BaseException) -> Step:
        failures = error.check_failures if isinstance(error, _StepFailed) else []
        message = str(error)
        if not isinstance(error, (_StepFailed, ProviderError, _Skipped)):
            message = f"{type(error).__name__}: {message}"
        message = self._redact(message)
        return Step(**base, op=op, error=message, check_failures=failures)

    # registration (preview / up) ---------------------------------------------------------------

    def register(
        self, request: resource_pb2.RegisterResourceRequest, urn: str
    ) -> resource_pb2.RegisterResourceResponse:
        if request.type == STACK_TYPE:
            with self._lock:
                self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        with self._lock:
            self.registered.add(urn)
            if self.cancelled:
                self.not_started += 1
                self.failed.add(urn)
                return resource_pb2.RegisterResourceResponse(
                    urn=urn, result=resource_pb2.Result.FAIL
                )
        base = {"urn": urn, "name": request.name, "type": request.type}
        old = self.old.get(urn)
        op: StepOp = "create" if old is None else "update"
        try:
            inputs, input_secrets = struct_to_plain(request.object)
            self._redact.add(secret_strings(inputs, input_secrets))
            dependencies = set(request.dependencies)
            for property_deps in request.propertyDependencies.values():
                dependencies.update(property_deps.urns)
            state = ResourceState(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent=request.parent,
                inputs=inputs,
                secret_inputs=_formatted(input_secrets),
                dependencies=tuple(sorted(dependencies)),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                delete_before_replace=request.deleteBeforeReplace,
            )
            goal_dbr = request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
            if not request.custom:
                return self._register_component(state, old, base)
            if self.options.targets and urn not in self.options.targets:
                return self._untargeted(state, old, base)
            failed_dependencies = sorted(dependencies & self.failed)
            if failed_dependencies or (self.writes and contains_unknown(inputs)):
                names = [urn.split("::")[-1] for urn in failed_dependencies]
                reason = ", ".join(names) or "an input that is not known"
                raise _Skipped(f"skipped: depends on failed {reason}")
            result_state, op = self._register_custom(state, old, base, goal_dbr)
        except _Skipped as skipped:
            self._record(Step(**base, op="skip", error=str(skipped), old_id=old.id if old else ""))
            return self._fail(urn)
        except Exception as error:
            if isinstance(error, _StepFailed) and error.op is not None:
                op = error.op
            self._record(self._failure_step({**base, "old_id": old.id if old else ""}, op, error))
            return self._fail(urn)
        return resource_pb2.RegisterResourceResponse(
            urn=urn,
            id=result_state.id,
            object=plain_to_struct(result_state.outputs, result_state.output_secret_paths),
            result=resource_pb2.Result.SUCCESS,
        )

    def _fail(self, urn: str) -> resource_pb2.RegisterResourceResponse:
        with self._lock:
            self.failed.add(urn)
        return resource_pb2.RegisterResourceResponse(urn=urn, result=resource_pb2.Result.FAIL)

    def _untargeted(
        self, state: ResourceState, old: ResourceState | None, base: dict[str, Any]
    ) -> resource_pb2.RegisterResourceResponse:
        """Outside ``--target``: the old state is kept as it was (inputs included); a resource
        that does not exist yet is not created."""
        if old is None:
            self._record(Step(**base, op="skip", note="not created: not targeted"))
            return self._fail(state.urn)
        self._record(Step(**base, op="same", id=old.id, old_id=old.id))
        return resource_pb2.RegisterResourceResponse(
            urn=state.urn,
            id=old.id,
            object=plain_to_struct(old.outputs, old.output_secret_paths),
            result=resource_pb2.Result.SUCCESS,
        )

    def _register_component(
        self, state: ResourceState, old: ResourceState | None, base: dict[str, Any]
    ) -> resource_pb2.RegisterResourceResponse:
        if old is not None:
            state = state.model_copy(
                update={"outputs": old.outputs, "secret_outputs": old.secret_outputs}
            )
        if self.writes:
            self._store(state)
        self._record(Step(**base, op="same" if old is not None else "create"))
        return resource_pb2.RegisterResourceResponse(urn=state.urn)

    def _register_custom(
        self,
        state: ResourceState,
        old: ResourceState | None,
        base: dict[str, Any],
        goal_dbr: bool | None,
    ) -> tuple[ResourceState, StepOp]:
        if PROVIDER_KEY not in state.inputs:
            raise _StepFailed(
                f"{state.type} is not a pulumi.dynamic resource (no {PROVIDER_KEY} input); "
                "the engine stand-in drives only dynamic providers"
            )
        host = self._host()
        secrets_of_call = secret_strings(state.inputs, state.input_secret_paths)
        checked = host.check(
            state.urn, old.inputs if old else {}, state.inputs, secret_values=secrets_of_call
        )
        op: StepOp = "create" if old is None else "update"
        if checked.failures:
            failed = ", ".join(f.property for f in checked.failures)
            raise _StepFailed(f"check failed for {failed}", checked.failures)
        # The engine annotates the checked inputs with the secretness of the program's inputs
        # (provider_plugin.go: Check -> annotateSecrets(inputs, news)).
        checked_secrets = output_secrets(checked.inputs, state.inputs, state.input_secret_paths, ())
        checked_secrets |= carried_secrets(checked.inputs, state.input_secret_paths)
        new = state.model_copy(
            update={"inputs": checked.inputs, "secret_inputs": _formatted(checked_secrets)}
        )
        diff: DiffOutcome | None = None
        keys: list[str] = []
        if old is not None:
            keys = changed_keys(old.inputs, new.inputs)
            if state.urn in self.options.replace:
                diff = DiffOutcome(changes="some", replaces=["id"])
            else:
                diff = host.diff(
                    old.id,
                    state.urn,
                    old.outputs,
                    new.inputs,
                    old_inputs=old.inputs,
                    secret_values=secrets_of_call,
                )
            op = self._op_from_diff(diff, keys)
        details: dict[str, Any] = {
            "changed_keys": keys if op != "same" else [],
            "changed_paths": changed_paths(old.inputs, new.inputs) if old and op != "same" else [],
        }
        if diff is not None:
            details.update(
                diffs=diff.diffs, detailed_diff=diff.detailed_diff, replaces=diff.replaces
            )
        delete_first = (
            goal_dbr if goal_dbr is not None else bool(diff and diff.delete_before_replace)
        )
        if not self.writes:
            result = self._previewed(new, old, op)
        else:
            try:
                result = self._apply(new, old, op, delete_first, secrets_of_call)
            except _StepFailed as error:
                error.op = op
                raise
            except ProviderError as error:
                raise _StepFailed(str(error), op=op) from error
            self._remember_secrets(result)
            self._store(result)
        self._record(Step(**base, op=op, id=result.id, old_id=old.id if old else "", **details))
        return result, op

    @staticmethod
    def _op_from_diff(diff: DiffOutcome, keys: list[str]) -> StepOp:
        if diff.changes == "none":
            return "same"
        if diff.changes == "unknown" and not keys:
            return "same"
        return "replace" if diff.replaces else "update"

    @staticmethod
    def _previewed(new: ResourceState, old: ResourceState | None, op: StepOp) -> ResourceState:
        """What the program sees during a preview: known outputs for unchanged resources,
        the checked inputs (and an unknown ID for new ones) otherwise."""
        if op == "same" and old is not None:
            return new.model_copy(
                update={"id": old.id, "outputs": old.outputs, "secret_outputs": old.secret_outputs}
            )
        outputs = dict(new.inputs)
        secrets = output_secrets(
            outputs, new.inputs, new.input_secret_paths, new.additional_secret_outputs
        )
        return new.model_copy(
            update={
                "id": old.id if (old is not None and op == "update") else "",
                "outputs": outputs,
                "secret_outputs": _formatted(secrets),
            }
        )

    def _with_outputs(self, new: ResourceState, id_: str, outputs: dict[str, Any]) -> ResourceState:
        secrets = output_secrets(
            outputs, new.inputs, new.input_secret_paths, new.additional_secret_outputs
        )
        return new.model_copy(
            update={"id": id_, "outputs": outputs, "secret_outputs": _formatted(secrets)}
        )

    def _create(self, new: ResourceState, secrets_of_call: set[str]) -> ResourceState:
        pending = self._begin("creating", new)
        try:
            created = self._host().create(new.urn, new.inputs, secret_values=secrets_of_call)
        except BaseException:
            self._end(pending)
            raise
        result = self._with_outputs(new, created.id, created.outputs)
        self._end(pending, result)
        return result

    def _delete_old(self, old: ResourceState, secrets_of_call: set[str]) -> None:
        pending = self._begin("deleting", old)
        try:
            self._host().delete(
                old.id,
                old.urn,
                old.outputs,
                old_inputs=old.inputs,
                secret_values=secret_strings(old.outputs, old.output_secret_paths)
                | secrets_of_call,
            )
        except BaseException:
            self._end(pending)
            raise
        with self._lock:
            self._drop(pending)
            self._forget(old.urn)

    def _apply(
        self,
        new: ResourceState,
        old: ResourceState | None,
        op: StepOp,
        delete_first: bool,
        secrets_of_call: set[str],
    ) -> ResourceState:
        if op == "same" and old is not None:
            # A same step keeps the ID and outputs and takes the new inputs (step.go: SameStep);
            # inputs equal to the old ones are the old objects, so the stack is held once.
            inputs = {
                k: old.inputs[k] if k in old.inputs and old.inputs[k] == v else v
                for k, v in new.inputs.items()
            }
            return new.model_copy(
                update={
                    "id": old.id,
                    "inputs": inputs,
                    "outputs": old.outputs,
                    "secret_outputs": old.secret_outputs,
                }
            )
        if op == "create" or old is None:
            return self._create(new, secrets_of_call)
        if op == "update":
            pending = self._begin("updating", old)
            try:
                outputs = self._host().update(
                    old.id,
                    new.urn,
                    old.outputs,
                    new.inputs,
                    old_inputs=old.inputs,
                    secret_values=secrets_of_call,
                )
            except BaseException:
                self._end(pending)
                raise
            result = self._with_outputs(new, old.id, outputs)
            self._end(pending, result)
            return result
        if old.protect:
            raise _StepFailed(f"{new.name} is protected and would have to be replaced")
        if delete_first:
            self._delete_old(old, secrets_of_call)
            return self._create(new, secrets_of_call)
        result = self._create(new, secrets_of_call)
        try:
            self._delete_old(old, secrets_of_call)
        except ProviderError as error:
            raise _StepFailed(
                f"replacement {result.id} created but deleting the old {old.id} failed "
                f"(delete it by hand): {error}"
            ) from error
        return result

    def register_outputs(self, request: resource_pb2.RegisterResourceOutputsRequest) -> None:
        outputs, secrets = struct_to_plain(request.outputs)
        with self._lock:
            if request.urn == self.stack_urn or not self.stack_urn:
                if self.writes:
                    outputs = drop_unknowns(outputs)
                secret_paths = _formatted(
                    path for path in secrets if property_paths.exists(outputs, path)
                )
                self._redact.add(secret_strings(outputs, secrets))
                if (outputs, secret_paths) == (self.stack_outputs, self.stack_output_secrets):
                    return
                self.stack_outputs = outputs
                self.stack_output_secrets = secret_paths
                self._save()
            elif request.urn in self.current and self.writes:
                component = self.current[request.urn]
                self._store(
                    component.model_copy(
                        update={"outputs": outputs, "secret_outputs": _formatted(secrets)}
                    )
                )

    # deletion (up: removed resources; destroy: everything) --------------------------------------

    def may_delete(self) -> bool:
        """Deletes run only after a program that succeeded and steps that all did."""
        return not self.cancelled and not any(step.failed for step in self.steps)

    def delete_unregistered(self) -> None:
        with self._lock:
            doomed = [
                urn
                for urn in self.current
                if urn not in self.registered
                and (not self.options.targets or urn in self.options.targets)
            ]
        self.delete(doomed)

    def delete(self, urns: Iterable[str]) -> None:
        """Delete in antichains, dependents first; each antichain's steps run in parallel
        (``step_generator.go``: ``ScheduleDeletes``; ``deployment_executor.go`` runs each chain
        with ``ExecuteParallel`` and waits for it before the next)."""
        with self._lock:
            chains = delete_antichains(self.current, set(urns))
        blocked: set[str] = set()
        with ThreadPoolExecutor(max_workers=self.options.parallelism) as pool:
            for chain in chains:
                list(pool.map(lambda urn: self._delete_step(urn, blocked), chain))

    def _delete_step(self, urn: str, blocked: set[str]) -> None:
        if self.cancelled:
            with self._lock:
                self.not_started += 1
            return
        state = self.current[urn]
        base = {"urn": urn, "name": state.name, "type": state.type, "old_id": state.id}
        with self._lock:
            dependents = sorted(
                other
                for other in blocked
                if urn in self.current[other].dependencies or self.current[other].parent == urn
            )
        try:
            if dependents:
                raise _StepFailed(f"not deleted: its dependent {dependents[0]} was not deleted")
            if state.protect:
                raise _StepFailed(f"{state.name} is protected; unprotect it before deleting")
            if self.writes:
                if state.custom and state.id and not state.retain_on_delete:
                    self._delete_old(state, set())
                else:
                    self._forget(urn)
        except (_StepFailed, ProviderError) as error:
            with self._lock:
                blocked.add(urn)
            self._record(self._failure_step(base, "delete", error))
            return
        self._record(Step(**base, op="delete"))

    def clear_stack_outputs(self) -> None:
        with self._lock:
            self.stack_outputs = {}
            self.stack_output_secrets = frozenset()
            self._save()

    # refresh ---------------------------------------------------------------------------------

    def resolve_pending_creates(self, clear: bool, imports: dict[str, str]) -> list[str]:
        """What ``pulumi refresh`` does with the creates an interrupted run left pending
        (``pkg/cmd/pulumi/operations/refresh.go``: ``--clear-pending-creates``,
        ``--import-pending-creates URN ID``); other pending operations are simply dropped.
        Returns the URNs still pending (the CLI asks about them interactively)."""
        with self._lock:
            kept: list[PendingOperation] = []
            for op in self.pending:
                if op.type != "creating":
                    continue
                if op.resource.urn in imports:
                    imported = op.resource.model_copy(
                        update={"id": imports[op.resource.urn], "outputs": dict(op.resource.inputs)}
                    )
                    self.current[imported.urn] = imported
                elif not clear:
                    kept.append(op)
            self.pending = kept
            self._save()
            return [op.resource.urn for op in kept]

    def refresh(self) -> None:
        with self._lock:
            targets = [s for s in self.current.values() if s.custom and s.id]
        if not targets:
            return
        host = self._host()

        def read(state: ResourceState) -> tuple[ReadOutcome | ProviderError, DiffOutcome | None]:
            if self.cancelled:
                return ProviderError("Read", "CANCELLED", "not started: cancelled"), None
            try:
                outcome = host.read(
                    state.id,
                    state.urn,
                    state.outputs,
                    state.inputs,
                    secret_values=secret_strings(state.outputs, state.output_secret_paths)
                    | secret_strings(state.inputs, state.input_secret_paths),
                )
                return outcome, self._refresh_diff(state, outcome)
            except ProviderError as error:
                return error, None

        with ThreadPoolExecutor(max_workers=self.options.parallelism) as pool:
            outcomes = list(pool.map(read, targets))
        for state, (outcome, diff) in zip(targets, outcomes, strict=True):
            self._apply_read(state, outcome, diff)

    def _refresh_diff(self, state: ResourceState, outcome: ReadOutcome) -> DiffOutcome | None:
        """The diff an ``up`` of an unchanged program would see after this refresh, computed by
        the provider (step.go: RefreshStep.Apply calls diffResource with the refreshed inputs and
        outputs as the olds and the old inputs as the news)."""
        if not outcome.id:
            return None
        inputs = outcome.inputs if outcome.inputs is not None else state.inputs
        if inputs == state.inputs and outcome.outputs == state.outputs:
            return DiffOutcome(changes="none")
        return self._host().diff(
            outcome.id,
            state.urn,
            outcome.outputs,
            state.inputs,
            old_inputs=inputs,
            secret_values=secret_strings(state.inputs, state.input_secret_paths),
        )

    def _apply_read(
        self,
        state: ResourceState,
        outcome: ReadOutcome | ProviderError,
        diff: DiffOutcome | None,
    ) -> None:
        base = {"urn": state.urn, "name": state.name, "type": state.type, "old_id": state.id}
        if isinstance(outcome, ProviderError):
            self._record(self._failure_step(base, "read-same", outcome))
            return
        if not outcome.id:
            self._forget(state.urn)
            self._record(Step(**base, op="refresh-deleted"))
            return
        inputs = outcome.inputs if outcome.inputs is not None else state.inputs
        input_secrets = carried_secrets(inputs, state.input_secret_paths)
        outputs_secrets = output_secrets(
            outcome.outputs, inputs, input_secrets, state.additional_secret_outputs
        ) | carried_secrets(outcome.outputs, state.output_secret_paths)
        refreshed = state.model_copy(
            update={
                "id": outcome.id,
                "inputs": inputs,
                "outputs": outcome.outputs,
                "secret_inputs": _formatted(input_secrets),
                "secret_outputs": _formatted(property_paths.outermost(outputs_secrets)),
            }
        )
        self._remember_secrets(refreshed)
        self._store(refreshed)
        changed = diff is not None and (
            diff.changes == "some"
            or (diff.changes == "unknown" and changed_keys(refreshed.inputs, state.inputs))
        )
        if not changed and refreshed.id == state.id:
            self._record(Step(**base, op="read-same", id=state.id))
            return
        keys = sorted(
            set(changed_keys(state.outputs, refreshed.outputs))
            | set(changed_keys(state.inputs, refreshed.inputs))
        )
        self._record(
            Step(
                **base,
                op="refresh-changed",
                id=refreshed.id,
                changed_keys=keys,
                changed_paths=changed_paths(state.inputs, refreshed.inputs),
            )
        )


class _Skipped(Exception):
    """A resource not attempted because something it depends on failed."""
