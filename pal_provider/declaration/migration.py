"""Planning the move of legacy inline tools to the tools registry (pal-api.md section 4.1).

Offline and pure: from the resolved fleet, work out which registry tools the inline tools of
opted-in PALs become, which PALs share them, the PAL bodies without their inline entries, and
every clash (an error finding naming both definitions and the fix). The same functions read a
live PAL document, for ``palfleet tools audit``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .findings import Finding, join_path
from .resolve import DesiredPal, DesiredTool, ResolvedFleet
from .tool_definition import definition_differences, same_definition
from .tool_rules import MAX_TOOLS_PER_PAL

# (layer, field, registry origin). `perception_tools` is the older name of the visual list.
INLINE_TOOL_LISTS: tuple[tuple[str, str, str], ...] = (
    ("llm", "tools", "llm"),
    ("perception", "visual_tools", "vision"),
    ("perception", "audio_tools", "audio"),
    ("perception", "perception_tools", "vision"),
)
# The old inline behaviour spoke the app's result; the registry default would not (4.1).
MIGRATED_ON_RESOLVE = "generate_response"


@dataclass(frozen=True)
class InlineEntry:
    """One inline tool of a PAL document and the registry tool it becomes."""

    layer: str
    list_field: str
    index: int
    name: str
    body: dict[str, Any]
    description_missing: bool = False

    @property
    def path(self) -> str:
        return join_path(["layers", self.layer, self.list_field, self.index])


def registry_body(function: dict[str, Any], origin: str) -> dict[str, Any]:
    """The registry tool equivalent of an inline ``{"type": "function", "function": {...}}``."""
    body: dict[str, Any] = {
        "name": function.get("name"),
        "description": function.get("description") or "",
        "origin": origin,
        "on_resolve": MIGRATED_ON_RESOLVE,
        "delivery": {"app_message": True},
    }
    if function.get("parameters") is not None:
        body["parameters"] = copy.deepcopy(function["parameters"])
    return body


def inline_entries(pal_body: dict[str, Any]) -> list[InlineEntry]:
    """Every inline tool of a PAL document (declared body or live PAL), in document order."""
    entries: list[InlineEntry] = []
    layers = pal_body.get("layers") if isinstance(pal_body.get("layers"), dict) else {}
    assert isinstance(layers, dict)
    for layer, list_field, origin in INLINE_TOOL_LISTS:
        section = layers.get(layer)
        tools = section.get(list_field) if isinstance(section, dict) else None
        if not isinstance(tools, list):
            continue
        for index, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                continue
            entries.append(
                InlineEntry(
                    layer=layer,
                    list_field=list_field,
                    index=index,
                    name=function["name"],
                    body=registry_body(function, origin),
                    description_missing=not str(function.get("description") or "").strip(),
                )
            )
    return entries


def without_inline_tools(pal_body: dict[str, Any]) -> dict[str, Any]:
    """A copy of the PAL body with every inline tool list removed."""
    body = copy.deepcopy(pal_body)
    layers = body.get("layers")
    if isinstance(layers, dict):
        for layer, list_field, _origin in INLINE_TOOL_LISTS:
            section = layers.get(layer)
            if isinstance(section, dict):
                section.pop(list_field, None)
    return body


@dataclass(frozen=True)
class PalMigration:
    """What migrating one PAL does."""

    pal: str
    entries: list[InlineEntry]
    body: dict[str, Any]  # the PAL body without inline tools
    shared_with: dict[str, list[str]] = field(default_factory=dict)  # tool -> other PALs
    declared: list[str] = field(default_factory=list)  # tools equal to a declared registry tool

    @property
    def tool_names(self) -> list[str]:
        return list(dict.fromkeys(entry.name for entry in self.entries))

    @property
    def removed_lists(self) -> list[str]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            key = f"layers.{entry.layer}.{entry.list_field}"
            counts[key] = counts.get(key, 0) + 1
        return [f"{key} ({count})" for key, count in counts.items()]

    def describe(self) -> str:
        """Plain words for the preview."""
        parts = []
        for name in self.tool_names:
            notes = []
            if name in self.declared:
                notes.append("the stack's declared registry tool")
            if self.shared_with.get(name):
                notes.append("shared with " + ", ".join(self.shared_with[name]))
            suffix = f" ({'; '.join(notes)})" if notes else ""
            parts.append(f"{name}{suffix}")
        return (
            f"PAL {self.pal!r}: migrating {len(self.entries)} inline tool(s) to the tools "
            f"registry: create each registry tool, or reuse an identical one already in the "
            f"account: {', '.join(parts)}; attach them; verify the attachments; then remove "
            f"the inline entries {', '.join(self.removed_lists)}"
        )


@dataclass(frozen=True)
class MigrationPlan:
    pals: dict[str, PalMigration]
    tools: dict[str, DesiredTool]  # registry tools born from inline ones (not declared)
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def body_for(self, pal: DesiredPal) -> dict[str, Any]:
        migration = self.pals.get(pal.logical_name)
        return migration.body if migration is not None else pal.body

    def attached_names(self, pal: DesiredPal) -> list[str]:
        """Declared attachments, then the migrated tools (each once)."""
        migration = self.pals.get(pal.logical_name)
        migrated = migration.tool_names if migration is not None else []
        return list(dict.fromkeys([*pal.tool_names, *migrated]))


def _finding(stack: str, pal: str, path: str, message: str, fix: str) -> Finding:
    return Finding(
        stack=stack,
        pal=pal,
        path=f"pals.{pal}.{path}" if path else f"pals.{pal}",
        severity="error",
        message=message,
        fix=fix,
    )


def plan_migration(fleet: ResolvedFleet) -> MigrationPlan:
    """What migrating the opted-in PALs' inline tools does, and every reason it cannot."""
    collected = _Collected()
    for name, pal in fleet.pals.items():
        entries = inline_entries(pal.body) if pal.migrate_inline_tools else []
        if entries:
            collected.entries_by_pal[name] = entries
            for entry in entries:
                _collect(fleet, name, entry, collected)
    pals = {
        name: _pal_migration(fleet, name, entries, collected)
        for name, entries in collected.entries_by_pal.items()
    }
    tools = {
        tool_name: DesiredTool(name=tool_name, body=copy.deepcopy(entry.body))
        for tool_name, (_pal, entry) in sorted(collected.first_seen.items())
        if tool_name not in fleet.tools
    }
    return MigrationPlan(pals=pals, tools=tools, findings=collected.findings)


@dataclass
class _Collected:
    """What the walk over the opted-in PALs' inline tools found."""

    findings: list[Finding] = field(default_factory=list)
    first_seen: dict[str, tuple[str, InlineEntry]] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)
    entries_by_pal: dict[str, list[InlineEntry]] = field(default_factory=dict)


def _collect(fleet: ResolvedFleet, name: str, entry: InlineEntry, found: _Collected) -> None:
    """Check one inline tool of PAL ``name`` and record it as a use of its registry tool."""
    where = f"{entry.path}.function"
    if entry.description_missing:
        found.findings.append(
            _finding(
                fleet.stack,
                name,
                f"{where}.description",
                f"inline tool {entry.name!r} has no description; registry tools need one",
                "add a description saying when the LLM should call the tool",
            )
        )
    clash = _clash(fleet, name, entry, found.first_seen.get(entry.name))
    if clash is not None:
        found.findings.append(clash)
        return
    found.first_seen.setdefault(entry.name, (name, entry))
    if name not in found.users.setdefault(entry.name, []):
        found.users[entry.name].append(name)


def _clash(
    fleet: ResolvedFleet, name: str, entry: InlineEntry, seen: tuple[str, InlineEntry] | None
) -> Finding | None:
    """A migrating tool that differs from the declared registry tool of its name, or from the
    same-named inline tool of another PAL (both would become one registry tool)."""
    where = f"{entry.path}.function.name"
    declared = fleet.tools.get(entry.name)
    if declared is not None:
        if same_definition(declared.body, entry.body):
            return None
        diff = "; ".join(
            definition_differences(declared.body, entry.body, labels=("declared", "inline"))
        )
        return _finding(
            fleet.stack,
            name,
            where,
            f"migrating inline tool {entry.name!r} clashes with the registry tool "
            f"declared under tools.{entry.name} ({diff})",
            "rename the inline tool, or make tools."
            f"{entry.name} identical to it (origin, on_resolve: "
            f"{MIGRATED_ON_RESOLVE}, delivery app_message), or drop the inline copy "
            "and attach the declared tool with palfleet.tools",
        )
    if seen is None or same_definition(seen[1].body, entry.body):
        return None
    diff = "; ".join(
        definition_differences(seen[1].body, entry.body, labels=(f"PAL {seen[0]}", f"PAL {name}"))
    )
    return _finding(
        fleet.stack,
        name,
        where,
        f"inline tool {entry.name!r} differs from the one of PAL {seen[0]!r} "
        f"({seen[1].path}): {diff}; both would become one registry tool",
        "make the two definitions identical, or rename one of them",
    )


def _pal_migration(
    fleet: ResolvedFleet, name: str, entries: list[InlineEntry], found: _Collected
) -> PalMigration:
    pal = fleet.pals[name]
    migration = PalMigration(
        pal=name,
        entries=entries,
        body=without_inline_tools(pal.body),
        shared_with={
            entry.name: [other for other in found.users.get(entry.name, []) if other != name]
            for entry in entries
        },
        declared=[entry.name for entry in entries if entry.name in fleet.tools],
    )
    total = len(set(pal.tool_names) | set(migration.tool_names))
    total += len(set(pal.body.get("tool_ids") or []))
    if total > MAX_TOOLS_PER_PAL:
        found.findings.append(
            _finding(
                fleet.stack,
                name,
                "palfleet.tools",
                f"{total} tools on one PAL after migration (attached + migrated), above the "
                f"limit of {MAX_TOOLS_PER_PAL}",
                "split the PAL or drop tools",
            )
        )
    return migration
