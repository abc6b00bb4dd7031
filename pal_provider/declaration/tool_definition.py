"""The comparable form of a registry tool definition (declared, migrated or live).

Two definitions are *identical* when their canonical forms are equal: server defaults filled
in (pal-api.md section 4), integers restored, server-owned fields dropped, and every auth secret
replaced by the API's mask (a secret can never be read back, so it never takes part in the
comparison; the caller tracks declared secret values itself).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pal_provider.core.jsonvalue import restore_integers
from pal_provider.core.masking import MASK, TOOL_AUTH_SECRET_KEYS

TOOL_FIELDS = (
    "name",
    "description",
    "parameters",
    "origin",
    "trigger_type",
    "on_call",
    "static_filler",
    "on_resolve",
    "delivery",
    "tags",
)
TOOL_DEFAULTS: dict[str, Any] = {
    "parameters": {},
    "origin": "llm",
    "trigger_type": "in_call",
    "on_resolve": "fire_and_forget",
    "delivery": {"app_message": True},
    "tags": [],
}
API_DEFAULTS: dict[str, Any] = {"method": "POST", "timeout": 10}


def _absent(value: Any) -> bool:
    """The API treats a missing field, null and an empty string, list or object alike."""
    return value is None or value == "" or value == [] or value == {}


def canonical_tool(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` (a declared body with secret markers, or a live tool) in comparable form:
    server-owned fields dropped, documented defaults filled, empty values absent, tags as a
    set, auth secrets masked (the API never shows them). The one tool comparison used by the
    provider, the migration and the GitOps commands."""
    out: dict[str, Any] = {
        key: restore_integers(copy.deepcopy(doc[key]))
        for key in TOOL_FIELDS
        if not _absent(doc.get(key))
    }
    for key, value in TOOL_DEFAULTS.items():
        out.setdefault(key, copy.deepcopy(value))
    if all(isinstance(tag, str) for tag in out["tags"]):
        out["tags"] = sorted(set(out["tags"]))
    delivery = out["delivery"] if isinstance(out["delivery"], dict) else {}
    api = delivery.get("api")
    if isinstance(api, dict):
        api = {k: v for k, v in api.items() if not _absent(v)}
        for key, value in API_DEFAULTS.items():
            api.setdefault(key, value)
        auth = api.get("auth")
        if isinstance(auth, dict):
            api["auth"] = {
                k: (MASK if k in TOOL_AUTH_SECRET_KEYS else v)
                for k, v in auth.items()
                if v is not None
            }
        out["delivery"] = {"api": api}
    else:
        out["delivery"] = {"app_message": True}
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def definition_differences(
    first: dict[str, Any], second: dict[str, Any], *, labels: tuple[str, str] = ("live", "declared")
) -> list[str]:
    """Human lines naming each field whose value differs (secrets never shown: they are masked)."""
    a, b = canonical_tool(first), canonical_tool(second)
    lines: list[str] = []
    for key in TOOL_FIELDS:
        if a.get(key) != b.get(key):
            lines.append(
                f"{key}: {labels[0]} {_short(a.get(key, '(absent)'))}, "
                f"{labels[1]} {_short(b.get(key, '(absent)'))}"
            )
    return lines


def same_definition(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return canonical_tool(first) == canonical_tool(second)
