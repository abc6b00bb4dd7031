"""Semantic validation of a structurally valid fleet, and of resolved API-shaped PAL bodies."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from .findings import Finding, Report, check_credential_headers, check_credential_query
from .merge import merge_intent
from .models import CONFIG_KEY_RE, FleetDeclaration, PalIntent
from .pal_rules import ID_RE, PalContext, check_pal
from .record_rules import check_guardrail, check_objectives, check_unique_api_names
from .schema_errors import validation_findings
from .secrets import SECRET_MARKER, is_secret_marker
from .tool_rules import check_registry_tool
from .urls import api_base_url_problems, custom_llm_base_url_problems

LOGICAL_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
LOGICAL_NAME_FIX = "use 2-63 characters: lower-case letters, digits and -, starting with a letter"

# Where a resolved body may hold a secret, relative to the PAL.
PAL_SECRET_PATHS = (("layers", "llm", "api_key"), ("layers", "tts", "api_key"))


def validate_fleet(fleet: FleetDeclaration, stack: str) -> list[Finding]:
    report = Report(stack)
    _check_bindings(report.child("bindings"), fleet)
    _check_defaults(report.child("defaults"), fleet)
    for key, tool in fleet.tools.items():
        check_registry_tool(report.child("tools", key), key, tool)
    for key, guardrail in fleet.guardrails.items():
        check_guardrail(report.child("guardrails", key), key, guardrail)
    for key, objectives in fleet.objectives.items():
        check_objectives(report.child("objectives", key), key, objectives)
    check_unique_api_names(report, fleet)
    ctx = PalContext(
        bindings=fleet.bindings,
        tools=fleet.tools,
        guardrails=list(fleet.guardrails),
        objectives=list(fleet.objectives),
    )
    names: dict[str, str] = {}
    usernames: dict[str, str] = {}
    adopted: dict[str, str] = {}
    for name, declared in fleet.pals.items():
        pal_report = report.child("pals", name, pal=name)
        if not LOGICAL_NAME_RE.match(name):
            pal_report.error([], f"logical name {name!r} is not allowed", LOGICAL_NAME_FIX)
        try:
            pal = merge_intent(fleet.defaults, declared)
        except ValidationError as exc:
            report.findings.extend(
                validation_findings(exc, PalIntent, stack=stack, prefix=("pals", name), pal=name)
            )
            continue
        check_pal(pal_report, pal, ctx)
        shown = pal.pal_name or name
        if shown in names:
            pal_report.error(
                ["pal_name"],
                f"pal_name {shown!r} is also used by PAL {names[shown]!r}",
                "give each PAL its own pal_name",
            )
        names.setdefault(shown, name)
        username = (
            pal.layers.conferencing.username if pal.layers and pal.layers.conferencing else None
        )
        if username:
            lowered = username.lower()
            if lowered in usernames:
                pal_report.error(
                    ["layers", "conferencing", "username"],
                    f"conferencing username {username!r} is also used by PAL {usernames[lowered]!r}",
                    "usernames are globally unique; pick another",
                )
            usernames.setdefault(lowered, name)
        adopt = _adopt_id(fleet, name, pal)
        if adopt is not None:
            if adopt in adopted:
                pal_report.error(
                    ["palfleet", "adopt_id"],
                    f"pal_id {adopt!r} is also adopted by PAL {adopted[adopt]!r}",
                    "adopt each existing PAL once",
                )
            adopted.setdefault(adopt, name)
    return _inherited_at_defaults(report.findings, fleet)


def _inherited_at_defaults(findings: list[Finding], fleet: FleetDeclaration) -> list[Finding]:
    """A problem a PAL inherits from ``defaults`` is reported once, at its line in
    ``defaults``, naming the PALs it affects (instead of once per PAL, at the PAL)."""
    if fleet.defaults is None:
        return findings
    defaults = fleet.defaults.model_dump(exclude_unset=True)
    kept: list[Finding] = []
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for finding in findings:
        pal = finding.pal
        prefix = f"pals.{pal}."
        if pal is None or pal not in fleet.pals or not finding.path.startswith(prefix):
            kept.append(finding)
            continue
        relative = finding.path[len(prefix) :]
        own = fleet.pals[pal].model_dump(exclude_unset=True)
        if _declares(own, relative) or not _declares(defaults, relative):
            kept.append(finding)
            continue
        grouped.setdefault((relative, finding.severity, finding.message, finding.fix), []).append(
            pal
        )
    for (relative, severity, message, fix), pals in grouped.items():
        kept.append(
            Finding(
                stack=findings[0].stack,
                pal=None,
                path=f"defaults.{relative}",
                severity=severity,  # type: ignore[arg-type]
                message=f"{message} (inherited by {len(pals)} PAL(s): {', '.join(sorted(pals))})",
                fix=fix,
            )
        )
    return kept


def _declares(document: Any, dotted: str) -> bool:
    """Whether ``document`` sets the (dotted, ``[i]``-indexed) path itself."""
    node = document
    for part in dotted.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, dict) and part in node and node[part] is not None:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _adopt_id(fleet: FleetDeclaration, name: str, pal: PalIntent) -> str | None:
    declared = pal.palfleet.adopt_id if pal.palfleet else None
    return declared or fleet.bindings.adopt_ids.get(name)


def _check_bindings(report: Report, fleet: FleetDeclaration) -> None:
    bindings = fleet.bindings
    for problem in api_base_url_problems(bindings.api_base_url):
        report.error(["api_base_url"], problem.message, problem.fix)
    for name, face_id in bindings.faces.items():
        if not LOGICAL_NAME_RE.match(name):
            report.error(["faces", name], f"face name {name!r} is not allowed", LOGICAL_NAME_FIX)
        if not ID_RE.match(face_id):
            report.error(
                ["faces", name],
                f"face id for {name!r} is not an id",
                "write the face id, e.g. r0123456789a",
            )
    for name, endpoint in bindings.llm_endpoints.items():
        if not LOGICAL_NAME_RE.match(name):
            report.error(
                ["llm_endpoints", name], f"endpoint name {name!r} is not allowed", LOGICAL_NAME_FIX
            )
        check_credential_headers(
            report,
            endpoint.headers,
            ["llm_endpoints", name, "headers"],
            "remove it; the key goes in api_key: {secret: ...}",
        )
        check_credential_query(
            report,
            endpoint.default_query,
            ["llm_endpoints", name, "default_query"],
            "remove it; the key goes in api_key: {secret: ...}",
        )
        for problem in custom_llm_base_url_problems(endpoint.base_url):
            report.error(["llm_endpoints", name, "base_url"], problem.message, problem.fix)
    for name, key in bindings.secrets.items():
        if not CONFIG_KEY_RE.match(key):
            report.error(
                ["secrets", name],
                f"secret {name!r} does not map to a Pulumi config key",
                "write a key such as palfleet:llmApiKey",
            )
    for pal_name, pal_id in bindings.adopt_ids.items():
        if pal_name not in fleet.pals:
            report.error(
                ["adopt_ids", pal_name],
                f"adopt_ids names {pal_name!r}, which is not a declared PAL",
                "use a logical name from pals:",
            )
        if not ID_RE.match(pal_id):
            report.error(
                ["adopt_ids", pal_name],
                "adopt id is not a pal_id",
                "use the existing PAL's id, e.g. p0123456789a",
            )
        declared = fleet.pals.get(pal_name)
        own = declared.palfleet.adopt_id if declared and declared.palfleet else None
        if own is not None and own != pal_id:
            report.error(
                ["adopt_ids", pal_name],
                "conflicts with the PAL's palfleet.adopt_id",
                "keep one of them",
            )


def _check_defaults(report: Report, fleet: FleetDeclaration) -> None:
    defaults = fleet.defaults
    if defaults is None:
        return
    if defaults.palfleet is not None and defaults.palfleet.adopt_id is not None:
        report.error(
            ["palfleet", "adopt_id"],
            "adopt_id in defaults would adopt one PAL for every PAL",
            "set it on one PAL",
        )
    if defaults.pal_name is not None:
        report.error(
            ["pal_name"],
            "pal_name in defaults gives every PAL the same name",
            "set pal_name per PAL (it defaults to the logical name)",
        )


def _markers_to_refs(body: dict[str, Any]) -> dict[str, Any]:
    """API body -> declaration shape: markers and already-substituted values become refs.

    Substituted secret values are replaced by a placeholder reference, so the checks never
    look at (or echo) them.
    """
    shaped = copy.deepcopy(body)
    for parts in PAL_SECRET_PATHS:
        parent: Any = shaped
        for key in parts[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or parts[-1] not in parent:
            continue
        value = parent[parts[-1]]
        if is_secret_marker(value):
            parent[parts[-1]] = {"secret": value[SECRET_MARKER]}
        elif isinstance(value, str):
            parent[parts[-1]] = {"secret": "provided"}
    return shaped


def validate_pal_body(body: dict[str, Any]) -> list[Finding]:
    """Check a resolved, API-shaped PAL body (what `POST /pals` receives).

    Paths are relative to the PAL (`layers.llm.base_url`); `stack` and `pal` are None.
    """
    if not isinstance(body, dict):
        return [
            Finding(
                stack=None,
                pal=None,
                path="",
                severity="error",
                message="a PAL body must be a mapping",
                fix="send a JSON object",
            )
        ]
    try:
        pal = PalIntent.model_validate(_markers_to_refs(body))
    except ValidationError as exc:
        return validation_findings(exc, PalIntent, stack=None)
    report = Report(None)
    check_pal(report, pal, PalContext())
    return report.findings
