"""Canonical form of registry tool documents (pal-api.md section 4), for the core diff.

The core canonicalizes PAL documents; tools need the same treatment with their own table:
server-owned fields dropped, documented defaults filled on both sides, empty values treated
as absent, tags compared as a set. Comparison itself is :func:`pal_provider.core.diff_documents`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pal_provider.core import is_empty
from pal_provider.core.jsonvalue import copy_json

SERVER_OWNED: Final = frozenset(
    {"tool_id", "owner_id", "is_system_tool", "created_at", "updated_at"}
)
TOOL_FIELDS: Final = (
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
TOP_DEFAULTS: Final[Mapping[str, Any]] = {
    "origin": "llm",
    "trigger_type": "in_call",
    "on_resolve": "fire_and_forget",
}
API_DEFAULTS: Final[Mapping[str, Any]] = {"method": "POST", "timeout": 10}


def canonical_tool(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh comparable copy of a declared or live tool."""
    out: dict[str, Any] = {}
    for key in TOOL_FIELDS:
        value = copy_json(doc.get(key))
        if not is_empty(value):
            out[key] = value
    for key, default in TOP_DEFAULTS.items():
        out.setdefault(key, default)
    if "tags" in out and all(isinstance(t, str) for t in out["tags"]):
        out["tags"] = sorted(set(out["tags"]))
    delivery = out.get("delivery")
    if not isinstance(delivery, dict) or (
        not delivery.get("app_message") and not delivery.get("api")
    ):
        out["delivery"] = {"app_message": True}
    elif delivery.get("api"):
        api = {k: v for k, v in delivery["api"].items() if not is_empty(v)}
        for key, default in API_DEFAULTS.items():
            api.setdefault(key, default)
        out["delivery"] = {"api": api}
    else:
        out["delivery"] = {"app_message": True}
    return out
