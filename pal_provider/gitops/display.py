"""Secret-safe display of changes: the only place plan and drift turn values into text.

Secret leaves (PAL ``api_key`` fields, tool auth secrets, ``{"$secret": ...}`` markers) show as
``[secret]`` / ``[secret] added`` / ``[secret changed]``; strings stored under keys that look
like credentials (an ``Authorization`` header set outside palfleet, ...) show as the API
client's redaction mask. Never a value, never a hash of one.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pal_provider.api import redact as api_redact
from pal_provider.core import Change, ChangeSet, is_secret_path
from pal_provider.core import redact as core_redact
from pal_provider.core.diff import SUMMARY_LIMIT

SECRET: Final = "[secret]"


def _mask_credential_keys(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str):
                out[key] = api_redact({key: item})[key]
            else:
                out[key] = _mask_credential_keys(item)
        return out
    if isinstance(value, list):
        return [_mask_credential_keys(item) for item in value]
    return value


def shown(value: Any, path: tuple[Any, ...]) -> Any:
    """``value`` (found at ``path``) as it may be displayed."""
    safe = core_redact(value, path, SECRET)
    if path and isinstance(safe, str) and safe != SECRET:
        return _mask_credential_keys({str(path[-1]): safe})[str(path[-1])]
    return _mask_credential_keys(safe)


def safe_change(change: Change) -> Change:
    return Change(
        path=change.path,
        kind=change.kind,
        old=shown(change.old, change.path),
        new=shown(change.new, change.path),
        secret=change.secret,
    )


def change_line(change: Change) -> str:
    """One line; a secret leaf never shows more than that it is added, removed or changed."""
    if is_secret_path(change.path):
        verb = {"add": "added", "remove": "removed", "change": "changed"}[change.kind]
        sign = {"add": "+", "remove": "-", "change": "~"}[change.kind]
        if change.kind == "change":
            return f"{sign} {change.dotted}: [secret changed]"
        return f"{sign} {change.dotted}: [secret] {verb}"
    return safe_change(change).render()


def needs_full_view(change: Change) -> bool:
    """Whether the one-line rendering summarizes a value (a multi-line or long text, JSON
    longer than the summary limit): then the full value is shown below it, as a diff."""
    if change.secret or is_secret_path(change.path):
        return False
    for value in (change.old, change.new):
        if value is None:
            continue
        if isinstance(value, str):
            if "\n" in value or len(value) > SUMMARY_LIMIT:
                return True
        elif isinstance(value, (dict, list)) and len(json.dumps(value)) > SUMMARY_LIMIT:
            return True
    return False


def text_diff(change: Change) -> str:
    """The whole change as a diff (a new object's content in full, never cut)."""
    return safe_change(change).text_diff(max_lines=None)


def change_record(change: Change) -> dict[str, Any]:
    """The JSON form of one change (``old``/``new`` absent on the side that has no value)."""
    safe = safe_change(change)
    record: dict[str, Any] = {"path": change.dotted, "kind": change.kind, "secret": change.secret}
    if change.kind != "add":
        record["old"] = safe.old
    if change.kind != "remove":
        record["new"] = safe.new
    return record


def change_lines(changes: ChangeSet) -> list[str]:
    return [change_line(change) for change in changes]
