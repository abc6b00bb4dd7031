"""The machine-readable (``--format json``) documents of the commands, in one place.

Every document has a ``schema`` naming its shape and version, so CI can check what it reads:

* ``palfleet.validate/1``: ``{"schema", "ok", "stacks": [{"stack", "ok", "errors",
  "warnings", "findings": [{"stack", "pal", "path", "severity", "message", "fix", "file",
  "line"}]}]}``
* ``palfleet.export/1``: ``{"schema", "stack", "ok", "output" (path or null), "declaration"
  (the fleet.yaml text), "notes": [...], "problems": [...]}``
* ``palfleet.promote/1``: ``{"schema", "source", "target", "ok", "changed", "written",
  "diff", "notes": [...], "record": {...} (what .promoted.json keeps: parts, source_parts,
  verification)}``
* ``palfleet.tools-audit/1``: ``{"schema", "stack", "clash", "pals": [{"pal_id",
  "pal_name", "tools": [{"name", "origin", "action", "detail"}]}]}``
* ``palfleet.error/1``, for any of them when the command fails before it has a result:
  ``{"schema", "command", "error": {"message", "details"}}``

``plan`` and ``drift`` have their own (``palfleet.plan/2``, see ``render.py``).
"""

from __future__ import annotations

import json
from typing import Any

from .session import CommandError

FORMATS = ("text", "json")


def document(schema: str, **fields: Any) -> str:
    return json.dumps({"schema": schema, **fields}, indent=2, ensure_ascii=False) + "\n"


def error_document(command: str, error: CommandError) -> str:
    return document(
        "palfleet.error/1",
        command=command,
        error={"message": error.message, "details": list(error.details)},
    )


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise CommandError(f"--format must be text or json (got {fmt!r})")
