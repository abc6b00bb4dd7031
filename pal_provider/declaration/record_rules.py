"""Offline rules of guardrails and objective sets (pal-api.md section 8), and of a PAL's
references to them and to knowledge-base documents: everything the API would refuse, found
before any request."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .findings import PathPart, Report
from .models import Bindings, FleetDeclaration, GuardrailSpec, ObjectivesSpec, PalIntent

MAX_NAME = 100
MAX_GUARDRAIL_TAGS = 32
MAX_OBJECTIVES = 50
MAX_OBJECTIVE_PROMPT = 10_000
MAX_OUTPUT_VARIABLES = 50
MAX_CALLBACK_URL = 2_048
OBJECTIVE_NAME = re.compile(r"^[A-Za-z0-9_]{1,100}$")


def check_guardrail(report: Report, logical_name: str, spec: GuardrailSpec) -> None:
    name = spec.guardrail_name if spec.guardrail_name is not None else logical_name
    if not name.strip():
        report.error(["guardrail_name"], "guardrail_name is empty", "give the guardrail a name")
    elif len(name) > MAX_NAME:
        where = ["guardrail_name"] if spec.guardrail_name is not None else []
        report.error(
            where, f"guardrail_name is {len(name)} characters, above {MAX_NAME}", "shorten it"
        )
    if not spec.guardrail_prompt.strip():
        report.error(["guardrail_prompt"], "guardrail_prompt is empty", "write the rule")
    tags = spec.tags or []
    if len(tags) > MAX_GUARDRAIL_TAGS:
        report.error(
            ["tags"], f"{len(tags)} tags, above {MAX_GUARDRAIL_TAGS}", "keep at most 32 tags"
        )
    for index, tag in enumerate(tags):
        if not tag.strip():
            report.error(["tags", index], "a tag is empty", "remove it or name it")


def _objective_cycle(spec: ObjectivesSpec) -> list[str] | None:
    edges = {
        item.objective_name: [
            *([item.next_required_objective] if item.next_required_objective else []),
            *(item.next_conditional_objectives or {}),
        ]
        for item in spec.data
    }
    done: set[str] = set()
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done or name not in edges:
            return None
        trail.append(name)
        for target in edges[name]:
            found = visit(target)
            if found:
                return found
        trail.pop()
        done.add(name)
        return None

    for name in edges:
        found = visit(name)
        if found:
            return found
    return None


def check_objectives(report: Report, logical_name: str, spec: ObjectivesSpec) -> None:
    name = spec.name if spec.name is not None else logical_name
    if len(name) > MAX_NAME:
        report.error(["name"], f"name is {len(name)} characters, above {MAX_NAME}", "shorten it")
    if not 1 <= len(spec.data) <= MAX_OBJECTIVES:
        report.error(
            ["data"],
            f"{len(spec.data)} objectives; a set holds 1 to {MAX_OBJECTIVES}",
            "declare at least one objective, at most 50",
        )
    names: dict[str, int] = {}
    for index, item in enumerate(spec.data):
        where: list[PathPart] = ["data", index]
        if not OBJECTIVE_NAME.match(item.objective_name):
            report.error(
                [*where, "objective_name"],
                f"objective_name {item.objective_name!r} is not allowed",
                "use letters, digits and _, at most 100 characters",
            )
        if item.objective_name in names:
            report.error(
                [*where, "objective_name"],
                f"objective {item.objective_name!r} is declared twice in the set",
                f"rename one (the first is data[{names[item.objective_name]}])",
            )
        names.setdefault(item.objective_name, index)
        if not item.objective_prompt.strip():
            report.error([*where, "objective_prompt"], "objective_prompt is empty", "write it")
        elif len(item.objective_prompt) > MAX_OBJECTIVE_PROMPT:
            report.error(
                [*where, "objective_prompt"],
                f"objective_prompt is {len(item.objective_prompt):,} characters, above 10,000",
                "shorten it",
            )
        if len(item.output_variables or []) > MAX_OUTPUT_VARIABLES:
            report.error([*where, "output_variables"], "more than 50 output variables", "trim")
        if item.callback_url is not None and len(item.callback_url) > MAX_CALLBACK_URL:
            report.error([*where, "callback_url"], "callback_url above 2,048 characters", "trim")
        if item.next_required_objective == item.objective_name:
            report.error(
                [*where, "next_required_objective"],
                "an objective cannot require itself next",
                "name another objective of the set",
            )
    for index, item in enumerate(spec.data):
        targets: list[tuple[list[PathPart], str]] = []
        if item.next_required_objective:
            targets.append((["next_required_objective"], item.next_required_objective))
        for target in item.next_conditional_objectives or {}:
            targets.append((["next_conditional_objectives", target], target))
        for path, target in targets:
            if target not in names:
                report.error(
                    ["data", index, *path],
                    f"objective {target!r} is not in the set",
                    f"name one of: {', '.join(names) or 'none'}",
                )
    if not spec.allow_loops:
        cycle = _objective_cycle(spec)
        if cycle:
            report.error(
                ["data"],
                f"the objectives form a cycle ({' -> '.join(cycle)})",
                "break the cycle, or set allow_loops: true",
            )


def check_unique_api_names(report: Report, fleet: FleetDeclaration) -> None:
    """Two guardrails (or objective sets) of a stack with one API name would be one live
    record: palfleet finds records by name and adopts an identical one."""
    sections: list[tuple[str, str, dict[str, str | None]]] = [
        (
            "guardrails",
            "guardrail_name",
            {k: g.guardrail_name for k, g in fleet.guardrails.items()},
        ),
        ("objectives", "name", {k: o.name for k, o in fleet.objectives.items()}),
    ]
    for section, field, names in sections:
        seen: dict[str, str] = {}
        for logical, declared in names.items():
            name = declared if declared is not None else logical
            if name in seen:
                report.error(
                    [section, logical, field] if declared is not None else [section, logical],
                    f"{field} {name!r} is also the name of {section}.{seen[name]}",
                    f"give each entry of {section}: its own {field}",
                )
            seen.setdefault(name, logical)


def check_references(
    report: Report,
    pal: PalIntent,
    bindings: Bindings | None,
    guardrails: Sequence[str] | None,
    objectives: Sequence[str] | None,
) -> None:
    """``palfleet.guardrails`` / ``objectives`` / ``documents`` name what the stack declares
    and binds; raw per-account ids in the intent are reported, since promotion copies intent."""
    options = pal.palfleet
    if options is None:
        options_guardrails: list[str] = []
    else:
        options_guardrails = list(options.guardrails or [])
    if guardrails is not None:
        for index, name in enumerate(options_guardrails):
            if name not in guardrails:
                report.error(
                    ["palfleet", "guardrails", index],
                    f"guardrail {name!r} is not declared under the stack's guardrails:",
                    f"declare it (declared: {', '.join(sorted(guardrails)) or 'none'})",
                )
        if len(set(options_guardrails)) != len(options_guardrails):
            report.error(["palfleet", "guardrails"], "a guardrail is listed twice", "list it once")
    if options is not None and options.objectives is not None:
        if pal.objectives_id is not None:
            report.error(
                ["objectives_id"],
                "both objectives_id and palfleet.objectives are set",
                "keep palfleet.objectives (a logical name that promotes across environments)",
            )
        if objectives is not None and options.objectives not in objectives:
            report.error(
                ["palfleet", "objectives"],
                f"objective set {options.objectives!r} is not declared under the stack's "
                "objectives:",
                f"declare it (declared: {', '.join(sorted(objectives)) or 'none'})",
            )
    if bindings is not None and options is not None:
        for index, name in enumerate(options.documents or []):
            if name not in bindings.documents:
                report.error(
                    ["palfleet", "documents", index],
                    f"document {name!r} is not bound in bindings.documents",
                    f"add bindings.documents.{name}: <this environment's document_id>",
                )
    if bindings is not None:
        raw = [
            (["guardrail_ids"], "guardrail_ids", "palfleet.guardrails", pal.guardrail_ids),
            (["objectives_id"], "objectives_id", "palfleet.objectives", pal.objectives_id),
            (["document_ids"], "document_ids", "palfleet.documents", pal.document_ids),
        ]
        for path, field, instead, value in raw:
            if value:
                report.warning(
                    path,
                    f"{field} holds per-account ids: promoting this PAL copies them into "
                    "environments where they do not exist",
                    f"declare them by logical name with {instead}",
                )
