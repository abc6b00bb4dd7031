"""Secret markers in resolved bodies: `{"$secret": "<pulumi config key>"}`.

A resolved PAL or tool body never holds a secret value; it holds a marker naming the Pulumi
config key that does. The program (or a command) substitutes values just before sending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .findings import PathPart, join_path

SECRET_MARKER = "$secret"


def secret_marker(config_key: str) -> dict[str, str]:
    return {SECRET_MARKER: config_key}


def is_secret_marker(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SECRET_MARKER), str)


def find_secret_refs(body: object) -> list[tuple[str, str]]:
    """Every marker in `body` as `(path, config key)`, paths like `layers.llm.api_key`."""
    found: list[tuple[str, str]] = []

    def walk(node: object, path: tuple[PathPart, ...]) -> None:
        if is_secret_marker(node):
            assert isinstance(node, dict)
            found.append((join_path(path), node[SECRET_MARKER]))
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, str(key)))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, index))

    walk(body, ())
    return found


def substitute_secrets(body: dict[str, Any], lookup: Callable[[str], str]) -> dict[str, Any]:
    """A copy of `body` with every marker replaced by `lookup(config key)`."""

    def walk(node: Any) -> Any:
        if is_secret_marker(node):
            return lookup(node[SECRET_MARKER])
        if isinstance(node, dict):
            return {key: walk(child) for key, child in node.items()}
        if isinstance(node, list):
            return [walk(child) for child in node]
        return node

    result = walk(body)
    assert isinstance(result, dict)
    return result
