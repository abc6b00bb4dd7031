"""What an engine operation did: per-resource steps, stack outputs, errors, and a human summary."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pal_engine import property_paths
from pal_engine.checkpoint import ResourceState
from pal_engine.provider_host import CheckFailure
from pal_engine.secrets import REDACTED, masked
from pal_engine.wire import UNKNOWN

Operation = Literal["preview", "up", "refresh", "destroy"]
StepOp = Literal[
    "create",
    "update",
    "same",
    "delete",
    "replace",
    "refresh-changed",
    "refresh-deleted",
    "read-same",
    "skip",
]

BANNER = "palfleet engine stand-in (NOT the Pulumi CLI)"

_SYMBOLS: dict[str, str] = {
    "create": "+",
    "update": "~",
    "same": " ",
    "delete": "-",
    "replace": "+-",
    "refresh-changed": "~",
    "refresh-deleted": "-",
    "read-same": " ",
    "skip": "!",
}

_PLANNED = {
    "create": "to create",
    "update": "to update",
    "same": "unchanged",
    "delete": "to delete",
    "replace": "to replace",
    "skip": "skipped",
}
_DONE = {
    "create": "created",
    "update": "updated",
    "same": "unchanged",
    "delete": "deleted",
    "replace": "replaced",
    "refresh-changed": "changed out of band",
    "refresh-deleted": "deleted out of band",
    "read-same": "unchanged",
    "skip": "skipped",
}


class Step(BaseModel):
    """One resource's step. ``error`` / ``check_failures`` set means the step failed.

    ``diffs`` / ``detailed_diff`` / ``replaces`` are what the provider's DiffResponse said (the
    SDK's dynamic server only fills ``changes``, ``replaces`` and ``deleteBeforeReplace``);
    ``changed_keys`` are the top-level input keys whose values differ from the previous inputs
    (the engine's own comparison); ``changed_paths`` the leaf input paths that differ, what
    ``pulumi preview --diff`` would point at (paths only, never values).
    """

    model_config = ConfigDict(frozen=True)

    urn: str
    name: str
    type: str
    op: StepOp
    id: str = ""
    old_id: str = ""
    diffs: list[str] = Field(default_factory=list)
    detailed_diff: dict[str, str] = Field(default_factory=dict)
    replaces: list[str] = Field(default_factory=list)
    changed_keys: list[str] = Field(default_factory=list)
    changed_paths: list[str] = Field(default_factory=list)
    check_failures: list[CheckFailure] = Field(default_factory=list)
    error: str | None = None
    note: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.check_failures)


class RunResult(BaseModel):
    """Outcome of ``preview`` / ``up`` / ``refresh`` / ``destroy``.

    ``outputs`` are the stack outputs (plaintext; ``secret_outputs`` names the secret paths,
    ``UNKNOWN`` marks values a preview cannot know). ``resources`` is the state after the
    operation, keyed by URN (for a preview: the unchanged previous state).
    """

    model_config = ConfigDict(frozen=True)

    operation: Operation
    project: str
    stack: str
    steps: list[Step] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    diagnostics: list[str] = Field(default_factory=list)
    resources: dict[str, ResourceState] = Field(default_factory=dict)
    # Registrations the engine did not start because the run was cancelled (first failure of
    # an ``up``, or Ctrl-C), and operations left pending in the checkpoint.
    not_started: int = 0
    cancelled: bool = False
    pending_operations: list[str] = Field(default_factory=list)
    # Whole-checkpoint writes this operation made (none when nothing changed).
    checkpoint_writes: int = 0
    # The operations before this one in the same command (``up`` previews first).
    preceded_by: list[RunResult] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and not self.cancelled
            and not any(step.failed for step in self.steps)
            and all(earlier.ok for earlier in self.preceded_by)
        )

    @property
    def preview(self) -> RunResult | None:
        """The preview that ``up`` ran first (None with ``skip_preview``, or for other operations)."""
        return next((r for r in self.preceded_by if r.operation == "preview"), None)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def failures(self) -> list[Step]:
        return [step for step in self.steps if step.failed]

    @property
    def counts(self) -> dict[str, int]:
        """Successful steps per op; failed steps are counted under ``"failed"``."""
        return dict(Counter("failed" if step.failed else step.op for step in self.steps))

    @property
    def changed(self) -> bool:
        return any(step.op not in ("same", "read-same") for step in self.steps)

    def step(self, name: str, type: str | None = None) -> Step:
        """The step of the resource called ``name`` (and of ``type`` when names repeat)."""
        matches = [s for s in self.steps if s.name == name and (type is None or s.type == type)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} steps named {name!r} in this {self.operation}")
        return matches[0]

    def resource(self, name: str, type: str | None = None) -> ResourceState:
        """The recorded state of the resource called ``name`` after this operation."""
        matches = [
            r
            for r in self.resources.values()
            if r.name == name and (type is None or r.type == type)
        ]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} after this {self.operation}")
        return matches[0]

    def render(self) -> str:
        done = self.operation != "preview"
        words = _DONE if done else _PLANNED
        lines = [f"{BANNER}: {self.operation} of stack {self.stack!r} (project {self.project!r})"]
        if self.steps:
            width = max(len(step.type) for step in self.steps)
            name_width = max(len(step.name) for step in self.steps)
            lines.append("")
            lines.append(
                f"     {'Type':<{width}}  {'Name':<{name_width}}  {'Status' if done else 'Plan'}"
            )
            for step in self.steps:
                symbol = "x" if step.failed else _SYMBOLS[step.op]
                detail = words[step.op]
                if step.failed and step.op != "skip":
                    detail = f"{step.op} failed"
                if step.changed_keys and step.op in ("update", "replace", "refresh-changed"):
                    detail += f" [diff: {_diff_summary(step)}]"
                if step.replaces:
                    detail += f" [replace: {', '.join(step.replaces)}]"
                lines.append(
                    f" {symbol:<3} {step.type:<{width}}  {step.name:<{name_width}}  {detail}"
                )
                for failure in step.check_failures:
                    lines.append(f"       error: {failure.property}: {failure.reason}")
                if step.error and not step.check_failures:
                    lines.append(f"       error: {step.error}")
                if step.note:
                    lines.append(f"       note: {step.note}")
        if self.outputs:
            lines.append("")
            lines.append("Outputs:")
            shown = masked(
                self.outputs, {property_paths.parse_path(path) for path in self.secret_outputs}
            )
            key_width = max(len(key) for key in shown)
            for key, value in sorted(shown.items()):
                if value == UNKNOWN:
                    text = "output<unknown>"
                elif value == REDACTED:
                    text = REDACTED
                else:
                    text = json.dumps(value)
                lines.append(f"    {key:<{key_width}}: {text}")
        if self.diagnostics:
            lines.append("")
            lines.append("Diagnostics:")
            lines.extend(f"    {line}" for line in self.diagnostics)
        lines.append("")
        lines.append("Resources:")
        for op, count in sorted(self.counts.items()):
            symbol = "x" if op == "failed" else _SYMBOLS[op].strip() or "="
            lines.append(f"    {symbol} {count} {words.get(op, op)}")
        if not self.steps:
            lines.append("    (none)")
        if self.not_started:
            lines.append(f"    {self.not_started} not started (the run was cancelled)")
        if self.pending_operations:
            lines.append("")
            lines.append("Pending operations left in the checkpoint:")
            lines.extend(f"    * {entry}" for entry in self.pending_operations)
        if self.errors or self.failures:
            lines.append("")
            lines.append(f"{len(self.failures)} resource(s) failed, {len(self.errors)} error(s)")
            lines.extend(f"    error: {error}" for error in self.errors)
        text = "\n".join(lines)
        if self.preceded_by:
            text = "\n\n".join([*(earlier.render() for earlier in self.preceded_by), text])
        return text


_MAX_PATHS_SHOWN = 6


def _diff_summary(step: Step) -> str:
    paths = step.changed_paths or step.changed_keys
    shown = ", ".join(paths[:_MAX_PATHS_SHOWN])
    more = len(paths) - _MAX_PATHS_SHOWN
    return f"{shown}, +{more} more" if more > 0 else shown


RunResult.model_rebuild()
