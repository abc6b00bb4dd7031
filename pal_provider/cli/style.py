"""Colour for terminal output: on a terminal unless ``--no-color`` or ``NO_COLOR`` is set
(https://no-color.org); never in files, pipes or CI logs."""

from __future__ import annotations

import os
import sys

import typer

_state = {"no_color": False}

# What a line of plan, drift or validate output starts with -> its colour.
_PREFIXES = (
    ("+ ", "green"),
    ("- ", "red"),
    ("~ ", "yellow"),
    ("ERROR", "red"),
    ("WARNING", "yellow"),
    ("palfleet:", "red"),
)


def configure(*, no_color: bool) -> None:
    _state["no_color"] = no_color


def enabled(stream: object = None) -> bool:
    target = stream if stream is not None else sys.stdout
    if _state["no_color"] or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, stream: object = None) -> str:
    """``text`` with each line coloured by what it starts with, when colour is on."""
    if not enabled(stream):
        return text
    lines = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        colour = next((c for prefix, c in _PREFIXES if stripped.startswith(prefix)), None)
        lines.append(typer.style(line, fg=colour) if colour else line)
    return "".join(lines)
