"""Property paths in Pulumi's syntax (``a.b[0]["odd.key"]``) and helpers to walk plain values.

Secretness is tracked per property path, as the Pulumi engine does. Paths are tuples of
keys (``str``) and list indexes (``int``) in memory and Pulumi-syntax strings in results and
on disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

PathElement = str | int
PropertyPath = tuple[PathElement, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class PathSyntaxError(ValueError):
    """A property path string that is not valid Pulumi property path syntax."""


def format_path(path: PropertyPath) -> str:
    """Render a path in Pulumi's property path syntax."""
    if not path:
        raise ValueError("an empty property path has no textual form")
    parts: list[str] = []
    for index, element in enumerate(path):
        if isinstance(element, int):
            parts.append(f"[{element}]")
        elif _IDENTIFIER.match(element):
            parts.append(element if index == 0 else f".{element}")
        else:
            parts.append(f"[{json.dumps(element)}]")
    return "".join(parts)


def parse_path(text: str) -> PropertyPath:
    """Parse a path written by :func:`format_path`."""
    elements: list[PathElement] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "[":
            end = _closing_bracket(text, position)
            inner = text[position + 1 : end]
            if inner.startswith('"'):
                elements.append(str(json.loads(inner)))
            elif inner.isdigit():
                elements.append(int(inner))
            else:
                raise PathSyntaxError(f"bad index {inner!r} in property path {text!r}")
            position = end + 1
            continue
        if char == ".":
            if not elements:
                raise PathSyntaxError(f"property path {text!r} starts with '.'")
            position += 1
        match = re.match(r"[A-Za-z_$][A-Za-z0-9_$]*", text[position:])
        if match is None:
            raise PathSyntaxError(f"unexpected {text[position:]!r} in property path {text!r}")
        elements.append(match.group(0))
        position += len(match.group(0))
    if not elements:
        raise PathSyntaxError("empty property path")
    return tuple(elements)


def _closing_bracket(text: str, start: int) -> int:
    if text[start + 1 : start + 2] == '"':
        position = start + 2
        while position < len(text):
            if text[position] == "\\":
                position += 2
                continue
            if text[position] == '"':
                if text[position + 1 : position + 2] != "]":
                    break
                return position + 1
            position += 1
        raise PathSyntaxError(f"unterminated quoted key in property path {text!r}")
    end = text.find("]", start)
    if end < 0:
        raise PathSyntaxError(f"unterminated '[' in property path {text!r}")
    return end


def exists(value: Any, path: PropertyPath) -> bool:
    """Whether ``path`` leads to a value inside ``value``."""
    current = value
    for element in path:
        if isinstance(element, int):
            if not isinstance(current, list) or element >= len(current):
                return False
        elif not isinstance(current, dict) or element not in current:
            return False
        current = current[element]
    return True


def get(value: Any, path: PropertyPath) -> Any:
    current = value
    for element in path:
        current = current[element]
    return current


def put(value: Any, path: PropertyPath, leaf: Any) -> None:
    """Replace the value at an existing ``path`` (``path`` must not be empty)."""
    parent = get(value, path[:-1])
    parent[path[-1]] = leaf


def is_prefix(prefix: PropertyPath, path: PropertyPath) -> bool:
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


def outermost(paths: Iterable[PropertyPath]) -> set[PropertyPath]:
    """Drop paths nested inside another path of the set (a secret object covers its members)."""
    ordered = sorted(set(paths), key=len)
    kept: list[PropertyPath] = []
    for path in ordered:
        if not any(is_prefix(other, path) for other in kept):
            kept.append(path)
    return set(kept)


def string_leaves(value: Any) -> Iterator[str]:
    """Every string found anywhere inside a plain value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from string_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_leaves(item)
