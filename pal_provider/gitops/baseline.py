"""Secret references that changed since a Git revision (``plan --base REF``).

The live account masks secrets, so a plan cannot see that a PAL's key now comes from another
config key (``{secret: palfleet:storyLlmApiKey}`` -> ``...Rotated``), although ``pulumi up``
will send the new value. Given the revision a pull request starts from, the plan compares
each PAL's and tool's secret references there with the declaration's and reports every
difference as ``[secret changed]``. (A new value under the same key is known only to Pulumi's
state: ``pulumi preview`` shows it.)
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from pal_provider.core import Change, ChangeSet
from pal_provider.core.jsonvalue import from_pointer
from pal_provider.core.masking import secret_refs
from pal_provider.declaration import ResolvedFleet

from .compare import FleetComparison
from .session import CommandError, load_text_stack


def declaration_at(ref: str, stack: str, root: Path) -> ResolvedFleet | None:
    """The stack's resolved declaration at ``ref``; None when the file did not exist there."""
    relative = f"./{stack}/fleet.yaml"
    shown = subprocess.run(
        ["git", "-C", str(root), "show", f"{ref}:{relative}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git failed"])[-1]
        if "does not exist in" in reason or "exists on disk, but not in" in reason:
            return None
        raise CommandError(
            f"--base {ref}: cannot read {root / stack / 'fleet.yaml'} at that revision "
            f"({reason}) -- fix: name a revision of this repository, e.g. origin/main"
        )
    result, _scratch = load_text_stack(stack, shown.stdout)
    if result.fleet is None or result.errors:
        return None  # an invalid base is no baseline: every reference counts as it is now
    return result.resolved_fleet()


def _changed_refs(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    return [
        Change(from_pointer(pointer), "change", secret=True)
        for pointer, key in sorted(after.items())
        if pointer in before and before[pointer] != key
    ]


def with_secret_reference_changes(
    comparison: FleetComparison, base: ResolvedFleet | None, now: ResolvedFleet
) -> FleetComparison:
    """``comparison`` with a ``[secret changed]`` change for every secret reference that
    differs from ``base`` (PALs and tools present in both)."""
    if base is None:
        return comparison
    pals = []
    for pal in comparison.pals:
        extra = []
        if pal.logical_name in base.pals and pal.action in ("update", "adopt"):
            extra = _changed_refs(
                secret_refs(base.pals[pal.logical_name].body),
                secret_refs(now.pals[pal.logical_name].body),
            )
        known = {change.path for change in pal.changes}
        fresh = [change for change in extra if change.path not in known]
        pals.append(replace(pal, changes=ChangeSet([*pal.changes, *fresh])) if fresh else pal)
    tools = []
    for tool in comparison.tools:
        extra = []
        if tool.name in base.tools and tool.action != "create":
            extra = _changed_refs(
                secret_refs(base.tools[tool.name].body), secret_refs(now.tools[tool.name].body)
            )
        known = {change.path for change in tool.changes}
        fresh = [change for change in extra if change.path not in known]
        if fresh:
            tool = replace(tool, action="update", changes=ChangeSet([*tool.changes, *fresh]))
        tools.append(tool)
    return replace(comparison, pals=tuple(pals), tools=tuple(tools))
