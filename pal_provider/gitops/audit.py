"""``palfleet tools audit``: which live PALs still carry legacy inline tools, and what the
migration to the tools registry would do for each (create, reuse, shared, declared, clash).
Exit 0, or 1 when a clash must be resolved before the migration can run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pal_provider.api import PalApiError, PalClient
from pal_provider.declaration.migration import inline_entries
from pal_provider.declaration.tool_definition import definition_differences, same_definition

from .formats import check_format, document, error_document
from .plan import CommandOutput
from .session import (
    CommandError,
    account_error,
    api_key_from_env,
    base_url_for,
    connect,
    load_declared,
    scrub,
)


@dataclass
class ToolAction:
    name: str
    origin: str
    action: str  # create | reuse | shared | declared | clash
    detail: str = ""


@dataclass
class PalAudit:
    pal_id: str
    pal_name: str
    actions: list[ToolAction] = field(default_factory=list)


def audit(client: PalClient, declared: dict[str, dict[str, Any]]) -> list[PalAudit]:
    """Read the account (paged lists) and plan the migration of every PAL with inline tools."""
    live_tools = {str(tool.get("name")): tool for tool in client.iter_tools()}
    planned: dict[str, tuple[str, dict[str, Any]]] = {}
    audits: list[PalAudit] = []
    for pal in client.iter_pals(pal_type="user"):
        entries = inline_entries(pal)
        if not entries:
            continue
        report = PalAudit(str(pal.get("pal_id")), str(pal.get("pal_name") or ""))
        for entry in entries:
            origin = str(entry.body["origin"])
            live = live_tools.get(entry.name)
            other = planned.get(entry.name)
            if live is not None:
                if same_definition(live, entry.body):
                    action = ToolAction(entry.name, origin, "reuse", f"live tool {live['tool_id']}")
                else:
                    diff = "; ".join(
                        definition_differences(live, entry.body, labels=("live", "inline"))
                    )
                    action = ToolAction(
                        entry.name, origin, "clash", f"live tool {live['tool_id']} differs: {diff}"
                    )
            elif entry.name in declared:
                if same_definition(declared[entry.name], entry.body):
                    action = ToolAction(entry.name, origin, "declared", "the stack's tools: entry")
                else:
                    diff = "; ".join(
                        definition_differences(
                            declared[entry.name], entry.body, labels=("declared", "inline")
                        )
                    )
                    action = ToolAction(
                        entry.name, origin, "clash", f"declared tool differs: {diff}"
                    )
            elif other is not None:
                if same_definition(other[1], entry.body):
                    action = ToolAction(
                        entry.name, origin, "shared", f"created once, with {other[0]}"
                    )
                else:
                    diff = "; ".join(
                        definition_differences(other[1], entry.body, labels=(other[0], "this"))
                    )
                    action = ToolAction(
                        entry.name, origin, "clash", f"differs from {other[0]}: {diff}"
                    )
            else:
                planned[entry.name] = (report.pal_id, entry.body)
                action = ToolAction(entry.name, origin, "create")
            report.actions.append(action)
        audits.append(report)
    return audits


def render(audits: list[PalAudit]) -> str:
    if not audits:
        return "No PAL carries legacy inline tools: nothing to migrate.\n"
    lines = [f"{len(audits)} PAL(s) still carry legacy inline tools:"]
    counts: dict[str, int] = {}
    for report in audits:
        lines.append(f"  {report.pal_id} {report.pal_name!r}:")
        for action in report.actions:
            counts[action.action] = counts.get(action.action, 0) + 1
            detail = f" ({action.detail})" if action.detail else ""
            lines.append(f"    {action.action:<8} {action.name} [origin {action.origin}]{detail}")
    summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
    lines.append(f"Migration would: {summary}.")
    if counts.get("clash"):
        lines.append(
            "Resolve each clash first: rename one tool, delete the live tool, or make the "
            "definitions identical."
        )
    lines.append(
        "Opt in per PAL with palfleet.migrate_inline_tools: true (or for the whole stack under "
        "defaults.palfleet), then run `pulumi up`."
    )
    return "\n".join(lines) + "\n"


def to_document(stack: str, audits: list[PalAudit]) -> str:
    clash = any(action.action == "clash" for report in audits for action in report.actions)
    pals = [
        {
            "pal_id": report.pal_id,
            "pal_name": report.pal_name,
            "tools": [asdict(action) for action in report.actions],
        }
        for report in audits
    ]
    return document("palfleet.tools-audit/1", stack=stack, clash=clash, pals=pals)


def run_audit(
    stack: str, root: Path, api_key_env: str, api_base_url: str | None, fmt: str = "text"
) -> CommandOutput:
    key = ""
    try:
        check_format(fmt)
        loaded = load_declared(stack, root)
        key = api_key_from_env(api_key_env)
        url = base_url_for(stack, root, loaded.fleet.api_base_url, api_base_url)
        client = connect(url, key)
        declared = {name: tool.body for name, tool in loaded.fleet.tools.items()}
        try:
            audits = audit(client, declared)
        except PalApiError as exc:
            raise account_error(exc, client.base_url, stack) from None
    except CommandError as exc:
        secrets = [key] if key else []
        shown = scrub(error_document("tools audit", exc), secrets) if fmt == "json" else ""
        return CommandOutput(shown, scrub(exc.render(), secrets), 1)
    clashes = any(action.action == "clash" for report in audits for action in report.actions)
    text = to_document(stack, audits) if fmt == "json" else render(audits)
    return CommandOutput(scrub(text, [key]), "", 1 if clashes else 0)
