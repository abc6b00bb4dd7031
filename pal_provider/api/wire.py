"""Tolerant reading of PAL API bodies.

The contract (../shared/pal-api.md) lets real responses differ from the emulator's: GET bodies
flat or wrapped as ``{"data": [...]}``, the legacy *persona* / *replica* vocabulary, timestamps
with ``Z``, ``+00:00``, microseconds or no zone, and short create responses. Everything here
accepts all of them and returns documents in ``/pals`` vocabulary. Unknown fields are kept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_TOP_LEVEL_ALIASES = {
    "persona_id": "pal_id",
    "persona_name": "pal_name",
    "default_replica_id": "default_face_id",
    "persona_type": "pal_type",
}
# Revision 2 stores face_interruptibility; revision 1 called it pal_interruptibility.
_FLOW_ALIASES = {
    "pal_interruptibility": "face_interruptibility",
    "replica_interruptibility": "face_interruptibility",
}

# Fields a short create response carries (pal-api.md 2.1); anything else means a full document.
SHORT_CREATE_FIELDS = frozenset({"pal_id", "pal_name", "created_at", "conferencing_email"})


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint. ``total_count`` is None when the server did not say."""

    items: list[dict[str, Any]]
    total_count: int | None
    page: int
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)


class WireFormatError(ValueError):
    """A body that does not have any of the shapes the contract allows."""


def _rename(doc: dict[str, Any], aliases: Mapping[str, str]) -> None:
    for legacy, current in aliases.items():
        if legacy in doc:
            value = doc.pop(legacy)
            # When both spellings are present the /pals one wins.
            doc.setdefault(current, value)


def normalize_pal(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a PAL document in ``/pals`` vocabulary (legacy persona fields renamed)."""
    out = copy.deepcopy(dict(doc))
    _rename(out, _TOP_LEVEL_ALIASES)
    layers = out.get("layers")
    if isinstance(layers, dict):
        flow = layers.get("conversational_flow")
        if isinstance(flow, dict):
            _rename(flow, _FLOW_ALIASES)
    return out


def unwrap_one(body: Any, *, what: str = "object") -> dict[str, Any]:
    """The single object of a GET body, flat or wrapped as ``{"data": [obj]}`` / ``{"data": obj}``."""
    if isinstance(body, Mapping):
        data = body.get("data")
        if isinstance(data, list):
            if len(data) != 1 or not isinstance(data[0], Mapping):
                raise WireFormatError(f"expected one {what} in 'data', got {len(data)} entries")
            return dict(data[0])
        if isinstance(data, Mapping):
            return dict(data)
        return dict(body)
    raise WireFormatError(f"expected a JSON object for the {what}, got {type(body).__name__}")


def unwrap_list(body: Any, *, what: str = "objects") -> tuple[list[dict[str, Any]], int | None]:
    """Items and total count of a list body: ``{"data": [...], "total_count": N}`` or a bare list."""
    items: Any
    total: Any = None
    if isinstance(body, list):
        items = body
    elif isinstance(body, Mapping) and isinstance(body.get("data"), list):
        items = body["data"]
        total = body.get("total_count", body.get("total"))
    else:
        raise WireFormatError(f"expected a list of {what} (or {{'data': [...]}})")
    if not all(isinstance(item, Mapping) for item in items):
        raise WireFormatError(f"every entry of the {what} list must be a JSON object")
    count = total if isinstance(total, int) and not isinstance(total, bool) else None
    return [dict(item) for item in items], count


def read_pal(body: Any) -> dict[str, Any]:
    return normalize_pal(unwrap_one(body, what="PAL"))


def read_pal_page(body: Any, *, page: int, limit: int) -> Page:
    items, total = unwrap_list(body, what="PALs")
    return Page([normalize_pal(i) for i in items], total, page, limit)


def read_record(body: Any, *, id_key: str) -> dict[str, Any]:
    """A guardrail or objective set: flat, or wrapped in ``data``. An objective set has a
    ``data`` field of its own, so a body carrying its id is taken as the record itself."""
    if isinstance(body, Mapping) and id_key in body:
        return dict(body)
    return unwrap_one(body, what=id_key.removesuffix("_id"))


def read_tool(body: Any) -> dict[str, Any]:
    return unwrap_one(body, what="tool")


def read_tool_page(body: Any, *, page: int, limit: int) -> Page:
    items, total = unwrap_list(body, what="tools")
    return Page(items, total, page, limit)


def is_short_create_response(doc: Mapping[str, Any]) -> bool:
    """True when a create answer carries only the short form (id, name, creation time)."""
    return set(doc) <= SHORT_CREATE_FIELDS


_TIMESTAMP = re.compile(
    r"""^\s*(?P<date>\d{4}-\d{2}-\d{2})
        [Tt\s](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?
        \s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.VERBOSE,
)


def parse_timestamp(value: str) -> datetime:
    """An aware UTC datetime from any timestamp shape the API uses.

    Accepts ``Z`` / ``+00:00`` / ``+0000`` / other offsets, fractions of any length (cut to
    microseconds), a space instead of ``T``, and no zone at all (read as UTC).
    """
    match = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}")
    frac = (match["frac"] or "0")[:6].ljust(6, "0")
    try:
        year, month, day = (int(p) for p in match["date"].split("-"))
        parsed = datetime(
            year,
            month,
            day,
            int(match["h"]),
            int(match["m"]),
            int(match["s"] or 0),
            int(frac),
            tzinfo=_zone(match["zone"]),
        )
    except ValueError as exc:
        raise ValueError(f"not a valid timestamp: {value!r} ({exc})") from None
    return parsed.astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
