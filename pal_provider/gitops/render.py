"""Renderings of a :class:`FleetComparison`: text, markdown (a pull-request comment), JSON.

``plan`` reads the comparison as "what applying would change" (current -> desired);
``drift`` reads the same comparison from the live side ("live differs from declared").
Output is deterministic: everything is sorted by the engine, nothing depends on time.

JSON shape (``schema: "palfleet.plan/2"``; ``command`` is ``plan`` or ``drift``)::

    {
      "schema": "palfleet.plan/2", "command": "plan", "stack": "dev",
      "compares": {"declaration": "stacks/dev/fleet.yaml", "account": "https://tavusapi.com/v2",
                   "note": "..."},
      "only": [],            # the --pal names, when given
      "warnings": ["WARNING stacks/dev/fleet.yaml:12 ..."],
      "has_changes": true, "blocked": false,
      "summary": {"create": 1, "update": 2, "adopt": 0, "unchanged": 3, "ambiguous": 0,
                  "adopt_missing": 0, "not_declared": 1, "tools_create": 1, "tools_update": 0,
                  "attach": 2, "detach": 0, "migrate": 0},
      "pals": [{"logical_name": "coach", "pal_name": "Coach", "action": "update",
                "pal_id": "p...", "changed": true, "candidates": [],
                "changes": [{"path": "layers.llm.model", "kind": "change", "secret": false,
                             "old": "tavus-gpt-oss", "new": "tavus-glm-4.7"}],
                "attach": ["log_mood"], "detach": [],
                "migrate": [{"name": "lookup", "source": "layers.llm.tools", "reuse": false}]}],
      "tools": [{"name": "log_mood", "action": "create", "tool_id": null, "changes": [...]}],
      "not_declared": [{"pal_id": "p...", "pal_name": "Old bot"}]
    }

``action`` of a PAL: create | update | adopt | unchanged | ambiguous | adopt_missing (adopt:
matched by its adopt id; it may have ``changed: false``). ``old`` is the live value, ``new``
the declared one, whole (never cut); a side without a value has no key. Secret leaves are
``"[secret]"``. On an error (an invalid declaration, an unreadable account) the document is
``{"schema", "command", "stack", "error": {"message", "details"}}`` and the exit code 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from .compare import FleetComparison, PalComparison, ToolComparison
from .display import change_line, change_lines, change_record, needs_full_view, text_diff
from .session import CommandError

Mode = Literal["plan", "drift"]
JSON_SCHEMA: Final = "palfleet.plan/2"
COMPARES_NOTE: Final = (
    "not Pulumi's state: a PAL deleted outside Pulumi shows here as to create, while "
    "`pulumi up` recreates it only after `pulumi refresh` (or `pulumi up --refresh`)"
)


@dataclass(frozen=True)
class Context:
    """What a rendering says besides the comparison: what was compared, the declaration's
    warnings, and the ``--pal`` restriction."""

    source: str = ""
    account: str = ""
    warnings: tuple[str, ...] = ()
    pals: tuple[str, ...] = ()

    def compares(self) -> str:
        return f"compares {self.source} with the live account at {self.account}, {COMPARES_NOTE}"


NOT_DECLARED_NOTE: Final = (
    "live user PAL matched by no declared PAL (no adopt id, no pal_name match): a candidate "
    "for deletion, or not part of this fleet; palfleet cannot tell who owns it and never deletes it"
)


def _fix_ambiguous(pal: PalComparison) -> str:
    return (
        f"{len(pal.candidates)} live PALs are named {pal.pal_name!r} ({', '.join(pal.candidates)})"
        f" -- fix: set bindings.adopt_ids.{pal.logical_name} to the one to manage"
    )


def _fix_adopt_missing(pal: PalComparison) -> str:
    return (
        f"adopt id {pal.pal_id} is not a user PAL of this account -- fix: correct "
        f"bindings.adopt_ids.{pal.logical_name} (or palfleet.adopt_id), or remove it to create"
    )


# -- text ---------------------------------------------------------------------------------


def _summary_lines(cmp: FleetComparison, mode: Mode) -> list[str]:
    s = cmp.summary()
    if mode == "plan":
        return [
            f"PALs: {s['create']} to create, {s['update']} to update, {s['adopt']} to adopt, "
            f"{s['unchanged']} unchanged, {s['ambiguous']} ambiguous, "
            f"{s['adopt_missing']} adopt id(s) not found, {s['not_declared']} not declared",
            f"Tools: {s['tools_create']} to create, {s['tools_update']} to update; "
            f"attachments: {s['attach']} to add, {s['detach']} to remove; "
            f"inline tools to migrate: {s['migrate']}",
            *_records_line(cmp, mode),
        ]
    differ = sum(p.action in ("update", "adopt") and p.changed for p in cmp.pals)
    return [
        f"PALs: {differ} differ from the declaration, {s['create']} declared but missing live, "
        f"{s['adopt_missing']} adopt id(s) not found, {s['ambiguous']} ambiguous, "
        f"{s['not_declared']} live but not declared, {s['unchanged'] + s['adopt'] - _adopt_changed(cmp)}"
        " in sync",
        f"Tools: {s['tools_create']} declared but missing live, {s['tools_update']} differ",
        *_records_line(cmp, mode),
    ]


def _records_line(cmp: FleetComparison, mode: Mode) -> list[str]:
    if not cmp.records:
        return []
    s = cmp.summary()
    if mode == "plan":
        return [
            f"Guardrails and objective sets: {s['records_create']} to create, "
            f"{s['records_update']} to update"
        ]
    return [
        f"Guardrails and objective sets: {s['records_create']} declared but missing live, "
        f"{s['records_update']} differ"
    ]


def _adopt_changed(cmp: FleetComparison) -> int:
    return sum(p.action == "adopt" and p.changed for p in cmp.pals)


def _pal_head(pal: PalComparison, mode: Mode) -> str | None:
    who = f"{pal.logical_name} ({pal.pal_name!r}" + (f", {pal.pal_id})" if pal.pal_id else ")")
    if pal.action == "ambiguous":
        return f"! ambiguous {who}: {_fix_ambiguous(pal)}"
    if pal.action == "adopt_missing":
        return f"! adopt id not found {who}: {_fix_adopt_missing(pal)}"
    if not pal.changed:
        return None
    if mode == "drift":
        if pal.action == "create":
            return f"- missing live {who}: declared, no live PAL matches"
        return f"~ differs {who}: live -> declared"
    return {"create": "+ create", "update": "~ update", "adopt": "~ adopt"}[pal.action] + f" {who}"


def _pal_body(pal: PalComparison, mode: Mode, markdown: bool) -> list[str]:
    lines: list[str] = []
    if not (mode == "drift" and pal.action == "create"):
        lines += change_lines(pal.changes)
    if pal.attach:
        verb = "not attached live" if mode == "drift" else "attach tools"
        lines.append(f"+ {verb}: {', '.join(pal.attach)}")
    if pal.detach:
        verb = "attached live, not declared" if mode == "drift" else "detach tools"
        lines.append(f"- {verb}: {', '.join(pal.detach)}")
    for moved in pal.migrate:
        how = "reuse the registry tool" if moved.reuse else "create a registry tool"
        lines.append(f"> migrate inline tool {moved.name} ({moved.source}): {how}, attach it")
    return lines


def _long_diffs(pal: PalComparison | ToolComparison) -> list[tuple[str, str]]:
    return [(c.dotted, text_diff(c)) for c in pal.changes if needs_full_view(c)]


def _tool_head(tool: ToolComparison, mode: Mode) -> str | None:
    """The head line of a registry tool, guardrail or objective set (its ``kind``)."""
    kind = "objective set" if tool.kind == "objectives" else tool.kind
    if tool.action == "unchanged":
        return None
    if mode == "drift":
        if tool.action == "create":
            return f"- missing live {kind} {tool.name}"
        return f"~ differs {kind} {tool.name} ({tool.tool_id}): live -> declared"
    if tool.action == "create":
        return f"+ create {kind} {tool.name}"
    return f"~ update {kind} {tool.name} ({tool.tool_id})"


def render_text(cmp: FleetComparison, mode: Mode, context: Context) -> str:
    out = [f"palfleet {mode}: stack {cmp.stack}", context.compares()]
    if context.pals:
        out.append(f"only: {', '.join(context.pals)} (and the registry tools they use)")
    out += [*_summary_lines(cmp, mode), *context.warnings, ""]
    for pal in cmp.pals:
        head = _pal_head(pal, mode)
        if head is None:
            continue
        out.append(head)
        out += [f"    {line}" for line in _pal_body(pal, mode, markdown=False)]
        for _name, diff in _long_diffs(pal):
            out += [f"        {line}" for line in diff.splitlines()]
    for ref in cmp.not_declared:
        out.append(f"? not declared {ref.pal_name!r} ({ref.pal_id}): {NOT_DECLARED_NOTE}")
    for tool in (*cmp.tools, *cmp.records):
        head = _tool_head(tool, mode)
        if head is None:
            continue
        out.append(head)
        if not (mode == "drift" and tool.action == "create"):
            out += [f"    {line}" for line in change_lines(tool.changes)]
            for _name, diff in _long_diffs(tool):
                out += [f"        {line}" for line in diff.splitlines()]
    if not cmp.has_changes and not cmp.blocked:
        out.append("no changes" if mode == "plan" else "no drift in declared PALs and tools")
    return "\n".join(out).rstrip("\n") + "\n"


# -- markdown -----------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")


def _fence(lines: list[str], lang: str = "text") -> list[str]:
    body = "\n".join(lines).replace("```", "'''")
    return [f"```{lang}", body, "```"]


def _details(name: str, diff: str) -> list[str]:
    return [
        "<details>",
        f"<summary>diff of <code>{_md(name)}</code></summary>",
        "",
        *_fence(diff.splitlines(), "diff"),
        "",
        "</details>",
        "",
    ]


def render_markdown(cmp: FleetComparison, mode: Mode, context: Context) -> str:
    s = cmp.summary()
    title = "plan" if mode == "plan" else "drift report"
    out = [
        f"### palfleet {title}: stack `{_md(cmp.stack)}`",
        "",
        f"_{_md(context.compares())}._",
        "",
    ]
    if context.pals:
        out += [
            f"Only {', '.join(f'`{_md(n)}`' for n in context.pals)} and the registry tools they use.",
            "",
        ]
    if context.warnings:
        out += ["**Warnings**", "", *(f"- {_md(w)}" for w in context.warnings), ""]
    labels = {
        "create": "PALs to create" if mode == "plan" else "declared PALs missing live",
        "update": "PALs to update" if mode == "plan" else "PALs that differ",
        "adopt": "PALs to adopt",
        "unchanged": "PALs unchanged",
        "ambiguous": "ambiguous pal_name matches",
        "adopt_missing": "adopt ids not found",
        "not_declared": "live PALs not declared",
        "tools_create": "tools to create" if mode == "plan" else "tools missing live",
        "tools_update": "tools to update" if mode == "plan" else "tools that differ",
        "attach": "attachments to add",
        "detach": "attachments to remove",
        "migrate": "inline tools to migrate",
        "records_create": "guardrails and objective sets to create"
        if mode == "plan"
        else "guardrails and objective sets missing live",
        "records_update": "guardrails and objective sets to update"
        if mode == "plan"
        else "guardrails and objective sets that differ",
    }
    out += ["| | count |", "|---|---:|"]
    out += [f"| {labels[key]} | {value} |" for key, value in s.items()]
    out.append("")
    if cmp.blocked:
        out += ["**Needs attention before applying:**", ""]
        for pal in cmp.pals:
            if pal.action == "ambiguous":
                out.append(f"- `{_md(pal.logical_name)}`: {_md(_fix_ambiguous(pal))}")
            elif pal.action == "adopt_missing":
                out.append(f"- `{_md(pal.logical_name)}`: {_md(_fix_adopt_missing(pal))}")
        out.append("")
    for pal in cmp.pals:
        if pal.blocked:
            continue
        head = _pal_head(pal, mode)
        if head is None:
            continue
        out += [f"#### {_md(head)}", ""]
        body = _pal_body(pal, mode, markdown=True)
        if body:
            out += [*_fence(body), ""]
        for name, diff in _long_diffs(pal):
            out += _details(name, diff)
    if cmp.not_declared:
        out += ["#### Live PALs not declared", "", f"_{_md(NOT_DECLARED_NOTE)}._", ""]
        out += [f"- `{_md(ref.pal_id)}` {_md(ref.pal_name)}" for ref in cmp.not_declared]
        out.append("")
    tool_blocks = [(t, _tool_head(t, mode)) for t in (*cmp.tools, *cmp.records)]
    tool_blocks = [(t, h) for t, h in tool_blocks if h is not None]
    if tool_blocks:
        out += ["#### Registry tools, guardrails and objective sets", ""]
        for tool, head in tool_blocks:
            assert head is not None
            out.append(f"- {_md(head)}")
            lines = (
                [] if (mode == "drift" and tool.action == "create") else change_lines(tool.changes)
            )
            if lines:
                out += ["", *_fence(lines), ""]
            for name, diff in _long_diffs(tool):
                out += _details(f"{tool.name}.{name}", diff)
        out.append("")
    if not cmp.has_changes and not cmp.blocked:
        out += ["No changes." if mode == "plan" else "No drift in declared PALs and tools.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- json ---------------------------------------------------------------------------------


def _pal_json(pal: PalComparison) -> dict[str, Any]:
    action = "unchanged" if pal.action == "update" and not pal.changed else pal.action
    return {
        "logical_name": pal.logical_name,
        "pal_name": pal.pal_name,
        "action": action,
        "pal_id": pal.pal_id,
        "changed": pal.changed,
        "candidates": list(pal.candidates),
        "changes": [change_record(c) for c in pal.changes],
        "attach": list(pal.attach),
        "detach": list(pal.detach),
        "migrate": [{"name": m.name, "source": m.source, "reuse": m.reuse} for m in pal.migrate],
    }


def to_json_data(cmp: FleetComparison, mode: Mode, context: Context) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA,
        "command": mode,
        "stack": cmp.stack,
        "compares": {
            "declaration": context.source,
            "account": context.account,
            "note": COMPARES_NOTE,
        },
        "only": list(context.pals),
        "warnings": list(context.warnings),
        "has_changes": cmp.has_changes,
        "blocked": cmp.blocked,
        "summary": cmp.summary(),
        "pals": [_pal_json(p) for p in cmp.pals],
        "tools": [
            {
                "name": t.name,
                "action": t.action,
                "tool_id": t.tool_id,
                "changes": [change_record(c) for c in t.changes],
            }
            for t in cmp.tools
        ],
        "records": [
            {
                "kind": r.kind,
                "name": r.name,
                "action": r.action,
                "id": r.tool_id,
                "changes": [change_record(c) for c in r.changes],
            }
            for r in cmp.records
        ],
        "not_declared": [{"pal_id": r.pal_id, "pal_name": r.pal_name} for r in cmp.not_declared],
    }


def render_json(cmp: FleetComparison, mode: Mode, context: Context) -> str:
    data = to_json_data(cmp, mode, context)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def render(cmp: FleetComparison, mode: Mode, fmt: str, context: Context | None = None) -> str:
    return RENDERERS[fmt](cmp, mode, context or Context())


def render_error(error: CommandError, stack: str, mode: Mode, fmt: str) -> str:
    """An error in the requested format (markdown for a pull-request comment, JSON for CI)."""
    if fmt == "json":
        body = {
            "schema": JSON_SCHEMA,
            "command": mode,
            "stack": stack,
            "error": {"message": error.message, "details": list(error.details)},
        }
        return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    title = "plan" if mode == "plan" else "drift report"
    out = [
        f"### palfleet {title}: stack `{_md(stack)}`",
        "",
        f"**Error:** {_md(error.message)}",
        "",
    ]
    if error.details:
        out += [*_fence(error.details), ""]
    return "\n".join(out).rstrip("\n") + "\n"


__all__ = [
    "RENDERERS",
    "Context",
    "change_line",
    "render",
    "render_error",
    "render_json",
    "render_markdown",
    "render_text",
]
