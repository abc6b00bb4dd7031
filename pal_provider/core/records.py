"""Guardrails and objective sets (pal-api.md section 8): their API shape, and the comparable
form of a declared or live one.

Two definitions are identical when their canonical forms are equal: server-owned fields
dropped, documented defaults filled, empty values absent, tags as a set. The one comparison
used by the providers and the GitOps commands.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pal_provider.core.jsonvalue import restore_integers


@dataclass(frozen=True)
class RecordKind:
    """One kind of account record: how the API names it and what its definition holds."""

    kind: str  # how messages name it
    path: str  # API collection
    id_key: str
    name_key: str
    fields: tuple[str, ...]
    defaults: Mapping[str, Any]
    searchable_by_name: bool  # the list takes name_or_uuid


GUARDRAIL = RecordKind(
    kind="guardrail",
    path="/guardrails",
    id_key="guardrail_id",
    name_key="guardrail_name",
    fields=(
        "guardrail_name",
        "guardrail_prompt",
        "modality",
        "callback_url",
        "tool_call",
        "app_message",
        "tags",
    ),
    defaults={"modality": "verbal", "callback_url": "", "app_message": True, "tags": []},
    searchable_by_name=True,
)
OBJECTIVES = RecordKind(
    kind="objectives",
    path="/objectives",
    id_key="objectives_id",
    name_key="name",
    fields=("name", "allow_loops", "data"),
    defaults={"allow_loops": False},
    searchable_by_name=False,
)
ITEM_DEFAULTS: dict[str, Any] = {"confirmation_mode": "auto"}


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _item(item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    out = {k: restore_integers(copy.deepcopy(v)) for k, v in item.items() if not _absent(v)}
    for key, value in ITEM_DEFAULTS.items():
        out.setdefault(key, value)
    return out


def canonical_record(kind: RecordKind, doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` (a declared body or a live record) in comparable form."""
    out: dict[str, Any] = {
        key: restore_integers(copy.deepcopy(doc[key]))
        for key in kind.fields
        if not _absent(doc.get(key))
    }
    for key, value in kind.defaults.items():
        if key not in out and not _absent(value):
            out[key] = copy.deepcopy(value)
    if isinstance(out.get("tags"), list) and all(isinstance(t, str) for t in out["tags"]):
        out["tags"] = sorted(set(out["tags"]))
    if isinstance(out.get("data"), list):
        out["data"] = [_item(item) for item in out["data"]]
    return out


def record_body(kind: RecordKind, logical_name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The API body of a declared record: its name defaults to the logical name."""
    body = {key: copy.deepcopy(value) for key, value in spec.items() if value is not None}
    body.setdefault(kind.name_key, logical_name)
    return body


def changed_fields(
    kind: RecordKind, live: Mapping[str, Any], desired: Mapping[str, Any]
) -> list[str]:
    """Top-level fields whose canonical values differ."""
    a, b = canonical_record(kind, live), canonical_record(kind, desired)
    return [key for key in kind.fields if a.get(key) != b.get(key)]


def record_patch(
    kind: RecordKind, live: Mapping[str, Any], desired: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The JSON Patch turning ``live`` into ``desired``: one ``add`` per changed top-level
    field (``add`` sets a field whether or not the stored record has it, as Tavus's own client
    sends it), and the restored default for a field the declaration dropped."""
    ops: list[dict[str, Any]] = []
    for key in changed_fields(kind, live, desired):
        value = desired.get(key)
        if _absent(value):
            value = copy.deepcopy(kind.defaults.get(key))
            if value is None:
                if key in live:
                    ops.append({"op": "remove", "path": f"/{key}"})
                continue
        ops.append({"op": "add", "path": f"/{key}", "value": copy.deepcopy(value)})
    return ops
