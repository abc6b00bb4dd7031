"""The one comparison engine behind ``plan`` and ``drift``: declaration versus live account.

Matching (documented in docs and the module docstrings of the commands):

* a declared PAL with an adopt id (``bindings.adopt_ids`` or ``palfleet.adopt_id``) is the
  live PAL of that id (``adopt``), or ``adopt_missing`` when the account has no such PAL;
* otherwise it is the live user PAL whose ``pal_name`` equals its ``pal_name``: none means
  ``create``, one means ``update`` (or ``unchanged``), several means ``ambiguous`` (the
  candidates are listed, never guessed: set an adopt id);
* live user PALs matched by no declared PAL are ``not declared``: listed, never deleted.

Field differences come from :func:`pal_provider.core.diff_pal` (PALs) and
:func:`pal_provider.core.diff_documents` on :func:`canonical_tool` forms (registry tools).
Declared secrets are unknown here (they live in Pulumi config): a secret differs only when
one side lacks it entirely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from pal_provider.core import Change, ChangeSet, canonicalize, diff_documents, diff_pal
from pal_provider.core.jsonvalue import get_path
from pal_provider.core.records import GUARDRAIL, OBJECTIVES, RecordKind, canonical_record
from pal_provider.declaration import DesiredPal, ResolvedFleet
from pal_provider.declaration.migration import inline_entries, without_inline_tools
from pal_provider.declaration.resolve import with_record_ids
from pal_provider.declaration.tool_definition import canonical_tool

from .live import LiveAccount, may_carry_tools

PalAction = Literal["create", "update", "adopt", "ambiguous", "adopt_missing"]
ToolAction = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class MigratedTool:
    name: str
    source: str  # layers.llm.tools, ...
    reuse: bool  # a registry tool of that name exists already


@dataclass(frozen=True)
class PalComparison:
    logical_name: str
    pal_name: str
    action: PalAction
    pal_id: str | None = None
    changes: ChangeSet = field(default_factory=ChangeSet)
    candidates: tuple[str, ...] = ()
    attach: tuple[str, ...] = ()
    detach: tuple[str, ...] = ()
    migrate: tuple[MigratedTool, ...] = ()

    @property
    def blocked(self) -> bool:
        """Applying cannot proceed for this PAL until the declaration is fixed."""
        return self.action in ("ambiguous", "adopt_missing")

    @property
    def changed(self) -> bool:
        """Applying would write something for this PAL."""
        if self.action == "create":
            return True
        return bool(self.changes or self.attach or self.detach or self.migrate)


@dataclass(frozen=True)
class ToolComparison:
    """A registry tool, or (``kind`` ``guardrail`` / ``objectives``) an account record the
    stack declares by logical name; ``tool_id`` is then the record's id."""

    name: str
    action: ToolAction
    tool_id: str | None = None
    changes: ChangeSet = field(default_factory=ChangeSet)
    kind: str = "tool"


@dataclass(frozen=True)
class LivePalRef:
    pal_id: str
    pal_name: str


@dataclass(frozen=True)
class FleetComparison:
    stack: str
    pals: tuple[PalComparison, ...]
    tools: tuple[ToolComparison, ...]
    not_declared: tuple[LivePalRef, ...]
    records: tuple[ToolComparison, ...] = ()  # guardrails, then objective sets

    @property
    def blocked(self) -> bool:
        return any(p.blocked for p in self.pals)

    @property
    def has_changes(self) -> bool:
        return (
            any(p.changed for p in self.pals)
            or any(t.action != "unchanged" for t in self.tools)
            or any(r.action != "unchanged" for r in self.records)
        )

    def count(self, what: str) -> int:
        counters: dict[str, Callable[[], int]] = {
            "create": lambda: sum(p.action == "create" for p in self.pals),
            "update": lambda: sum(p.action == "update" and p.changed for p in self.pals),
            "adopt": lambda: sum(p.action == "adopt" for p in self.pals),
            "unchanged": lambda: sum(
                p.action in ("update", "adopt") and not p.changed for p in self.pals
            ),
            "ambiguous": lambda: sum(p.action == "ambiguous" for p in self.pals),
            "adopt_missing": lambda: sum(p.action == "adopt_missing" for p in self.pals),
            "not_declared": lambda: len(self.not_declared),
            "tools_create": lambda: sum(t.action == "create" for t in self.tools),
            "tools_update": lambda: sum(t.action == "update" for t in self.tools),
            "attach": lambda: sum(len(p.attach) for p in self.pals),
            "detach": lambda: sum(len(p.detach) for p in self.pals),
            "migrate": lambda: sum(len(p.migrate) for p in self.pals),
            "records_create": lambda: sum(r.action == "create" for r in self.records),
            "records_update": lambda: sum(r.action == "update" for r in self.records),
        }
        return counters[what]()

    def summary(self) -> dict[str, int]:
        return {key: self.count(key) for key in SUMMARY_KEYS}

    def only(self, names: Iterable[str], fleet: ResolvedFleet) -> FleetComparison:
        """The comparison of the named PALs and the registry tools they use alone (``--pal``);
        live PALs nobody declares are another question, left out."""
        wanted = set(names)
        tools = {tool for name in wanted for tool in fleet.pals[name].tool_names}
        records = {(RECORD_KINDS[0], g) for n in wanted for g in fleet.pals[n].guardrail_names}
        records |= {
            (RECORD_KINDS[1], objectives)
            for n in wanted
            if (objectives := fleet.pals[n].objectives_name) is not None
        }
        return FleetComparison(
            stack=self.stack,
            pals=tuple(p for p in self.pals if p.logical_name in wanted),
            tools=tuple(t for t in self.tools if t.name in tools),
            not_declared=(),
            records=tuple(r for r in self.records if (r.kind, r.name) in records),
        )


SUMMARY_KEYS: Final = (
    "create",
    "update",
    "adopt",
    "unchanged",
    "ambiguous",
    "adopt_missing",
    "not_declared",
    "tools_create",
    "tools_update",
    "attach",
    "detach",
    "migrate",
    "records_create",
    "records_update",
)
RECORD_KINDS: Final = (GUARDRAIL.kind, OBJECTIVES.kind)


# -- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    action: PalAction
    pal_id: str | None = None
    candidates: tuple[str, ...] = ()


def _by_name(pals: dict[str, dict[str, Any]], claimed: set[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for pal_id in sorted(pals):
        if pal_id in claimed:
            continue
        name = pals[pal_id].get("pal_name")
        if isinstance(name, str):
            index.setdefault(name, []).append(pal_id)
    return index


def match_pals(fleet: ResolvedFleet, live_pals: dict[str, dict[str, Any]]) -> dict[str, Match]:
    """Declared logical name -> what it matches in the account."""
    matches: dict[str, Match] = {}
    claimed = {p.adopt_id for p in fleet.pals.values() if p.adopt_id and p.adopt_id in live_pals}
    by_name = _by_name(live_pals, claimed)
    for name, pal in fleet.pals.items():
        if pal.adopt_id:
            found = pal.adopt_id in live_pals
            matches[name] = Match("adopt" if found else "adopt_missing", pal.adopt_id)
            continue
        ids = by_name.get(str(pal.body.get("pal_name", name)), [])
        if not ids:
            matches[name] = Match("create")
        elif len(ids) == 1:
            matches[name] = Match("update", ids[0])
        else:
            matches[name] = Match("ambiguous", None, tuple(ids))
    return matches


def attachment_reads(fleet: ResolvedFleet) -> Callable[[dict[str, Any]], bool]:
    """Which live PALs need ``GET /pals/{id}/tools``: candidates of a declared PAL that
    declares tools or migrates inline ones, and candidates that carry tools."""
    by_id = {p.adopt_id: p for p in fleet.pals.values() if p.adopt_id}
    by_name = {str(p.body.get("pal_name")): p for p in fleet.pals.values() if not p.adopt_id}

    def needed(live: dict[str, Any]) -> bool:
        declared = by_id.get(str(live.get("pal_id"))) or by_name.get(str(live.get("pal_name")))
        if declared is None:
            return False
        return bool(declared.tool_names) or declared.migrate_inline_tools or may_carry_tools(live)

    return needed


# -- per PAL --------------------------------------------------------------------------------


def inline_tool_names(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, source list) of every legacy inline tool in a PAL document."""
    return [
        (entry.name, f"layers.{entry.layer}.{entry.list_field}") for entry in inline_entries(doc)
    ]


def _attached_names(live: LiveAccount, pal_id: str) -> set[str]:
    return {str(t.get("name")) for t in live.attached.get(pal_id, [])}


def as_declared(changes: ChangeSet, desired: Mapping[str, Any]) -> ChangeSet:
    """The canonical form leaves out values equal to the API's defaults, so declaring one
    (``perception_model: raven-1`` over a live ``off``) diffs as a removal; a reviewer must
    see the value the declaration states instead."""
    shown: list[Change] = []
    for change in changes:
        found, declared = (
            get_path(desired, change.path) if change.kind == "remove" else (False, None)
        )
        if found and declared is not None:
            shown.append(Change(change.path, "change", change.old, declared, change.secret))
        else:
            shown.append(change)
    return ChangeSet(shown)


# -- guardrails and objective sets ----------------------------------------------------------


def _live_record(
    kind: RecordKind, body: Mapping[str, Any], live: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The live record a declared one is: an identical one of the same name first (what the
    provider adopts), else the first of that name (what an update would change)."""
    name = body.get(kind.name_key)
    named = [r for r in live if r.get(kind.name_key) == name]
    wanted = canonical_record(kind, body)
    identical = [r for r in named if canonical_record(kind, r) == wanted]
    found = identical or named
    return found[0] if found else None


def compare_record(
    kind: RecordKind, name: str, body: dict[str, Any], live: list[dict[str, Any]]
) -> ToolComparison:
    current = _live_record(kind, body, live)
    desired = canonical_record(kind, body)
    if current is None:
        return ToolComparison(name, "create", None, diff_documents({}, desired), kind=kind.kind)
    changes = diff_documents(canonical_record(kind, current), desired)
    action: ToolAction = "update" if changes else "unchanged"
    return ToolComparison(name, action, str(current.get(kind.id_key)), changes, kind=kind.kind)


def record_ids(records: Iterable[ToolComparison]) -> dict[tuple[str, str], str]:
    """(kind, logical name) -> the live id, or a placeholder for one the apply creates."""
    return {
        (r.kind, r.name): r.tool_id if r.tool_id else f"<new {r.kind} {r.name}>" for r in records
    }


def _with_ids(pal: DesiredPal, ids: Mapping[tuple[str, str], str]) -> DesiredPal:
    if not pal.guardrail_names and pal.objectives_name is None:
        return pal
    body = with_record_ids(
        pal, lambda name: ids[(GUARDRAIL.kind, name)], lambda name: ids[(OBJECTIVES.kind, name)]
    )
    return replace(pal, body=body)


def declared_forms(fleet: ResolvedFleet) -> dict[str, dict[str, Any]]:
    """The canonical form of every declared PAL that needs nothing from the account (no inline
    tools to migrate, no guardrail or objective set to look up): ``plan`` computes them while
    it waits for the account."""
    return {
        name: canonicalize(pal.body, live=False)
        for name, pal in fleet.pals.items()
        if not pal.migrate_inline_tools and not pal.guardrail_names and pal.objectives_name is None
    }


def compare_pal(
    pal: DesiredPal,
    match: Match,
    live: LiveAccount,
    declared_form: dict[str, Any] | None = None,
) -> PalComparison:
    pal_name = str(pal.body.get("pal_name", pal.logical_name))
    if match.action in ("ambiguous", "adopt_missing"):
        return PalComparison(
            pal.logical_name,
            pal_name,
            action=match.action,
            pal_id=match.pal_id,
            candidates=match.candidates,
        )
    current: dict[str, Any] = {} if match.pal_id is None else live.pals[match.pal_id]
    desired = pal.body
    migrate: tuple[MigratedTool, ...] = ()
    # What the declaration migrates comes from the declaration: once the migration has run,
    # the live PAL no longer carries the inline entries, but their registry tools stay attached.
    migrated: set[str] = set()
    if pal.migrate_inline_tools:
        migrated = {name for name, _source in inline_tool_names(desired)}
        still_inline = inline_tool_names(current if match.pal_id else desired)
        migrate = tuple(
            MigratedTool(name, source, name in live.tools) for name, source in sorted(still_inline)
        )
        current, desired = without_inline_tools(current), without_inline_tools(desired)
    if declared_form is not None and not pal.migrate_inline_tools:
        diff = diff_documents(canonicalize(current, live=True), declared_form)
    else:
        diff = diff_pal(current, desired)
    changes = as_declared(diff, desired)
    attached = _attached_names(live, match.pal_id) if match.pal_id else set()
    wanted = set(pal.tool_names) | (migrated - {m.name for m in migrate})
    return PalComparison(
        pal.logical_name,
        pal_name,
        action=match.action,
        pal_id=match.pal_id,
        changes=changes,
        attach=tuple(sorted(wanted - attached)),
        detach=tuple(sorted(attached - wanted - migrated)),
        migrate=migrate,
    )


def compare_tool(name: str, body: dict[str, Any], live: LiveAccount) -> ToolComparison:
    current = live.tools.get(name)
    if current is None:
        return ToolComparison(name, "create", None, diff_documents({}, canonical_tool(body)))
    changes = diff_documents(canonical_tool(current), canonical_tool(body))
    action: ToolAction = "update" if changes else "unchanged"
    return ToolComparison(name, action, str(current.get("tool_id")), changes)


def _not_declared(live: LiveAccount, matches: Iterable[Match]) -> tuple[LivePalRef, ...]:
    seen: set[str] = set()
    for match in matches:
        if match.pal_id:
            seen.add(match.pal_id)
        seen.update(match.candidates)
    refs = [
        LivePalRef(pal_id, str(doc.get("pal_name", "")))
        for pal_id, doc in live.pals.items()
        if pal_id not in seen
    ]
    return tuple(sorted(refs, key=lambda r: (r.pal_name, r.pal_id)))


def compare_fleet(
    fleet: ResolvedFleet, live: LiveAccount, forms: Mapping[str, dict[str, Any]] | None = None
) -> FleetComparison:
    """The comparison; ``forms`` are :func:`declared_forms` of ``fleet``, when computed ahead."""
    records = (
        *(
            compare_record(GUARDRAIL, name, record.body, live.guardrails)
            for name, record in sorted(fleet.guardrails.items())
        ),
        *(
            compare_record(OBJECTIVES, name, record.body, live.objectives)
            for name, record in sorted(fleet.objectives.items())
        ),
    )
    ids = record_ids(records)
    matches = match_pals(fleet, live.pals)
    pals = tuple(
        compare_pal(_with_ids(fleet.pals[name], ids), matches[name], live, (forms or {}).get(name))
        for name in sorted(fleet.pals)
    )
    tools = tuple(compare_tool(name, fleet.tools[name].body, live) for name in sorted(fleet.tools))
    return FleetComparison(
        stack=fleet.stack,
        pals=pals,
        tools=tools,
        not_declared=_not_declared(live, matches.values()),
        records=records,
    )
