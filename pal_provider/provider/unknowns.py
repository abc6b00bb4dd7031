"""Values the engine does not know yet, as a dynamic provider receives them during a preview.

In a preview, an input computed from another resource's output that does not exist yet (the id
of a registry tool about to be created, say) reaches ``check`` and ``diff`` as an instance of
``pulumi.output.Unknown``: the SDK's dynamic-provider server deserializes with
``keep_unknowns=True`` (``pulumi/dynamic/__main__.py``: ``Check``/``Diff``;
``pulumi/runtime/rpc.py``: ``deserialize_property``). The raw sentinel string ``rpc.UNKNOWN``
counts too, for callers that did not go through the SDK.

The provider validates what is known, never fails on what is not, and hands the inputs back
untouched: ``rpc.serialize_property`` turns an ``Unknown`` back into the sentinel, so the engine
keeps seeing it as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

Path = tuple[str | int, ...]
# The last step of a hole path left by an unknown list element (its position is not kept).
ELEMENT = "[*]"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def split_unknowns(value: Any, prefix: Path = ()) -> tuple[Any, list[Path]]:
    """``value`` without its unknown parts, and the paths where they were.

    An unknown member of an object is left out. An unknown list element is left out too; its
    hole is recorded as ``(*list_path, ELEMENT)``, since the elements after it move up (the
    per-element rules still see every known element; see :func:`touches`).
    """
    if isinstance(value, dict):
        known: dict[str, Any] = {}
        paths: list[Path] = []
        for key, item in value.items():
            if is_unknown(item):
                paths.append((*prefix, key))
                continue
            known[key], inner = split_unknowns(item, (*prefix, key))
            paths += inner
        return known, paths
    if isinstance(value, list):
        items: list[Any] = []
        paths = []
        for item in value:
            if is_unknown(item):
                if (*prefix, ELEMENT) not in paths:
                    paths.append((*prefix, ELEMENT))
                continue
            kept, inner = split_unknowns(item, (*prefix, len(items)))
            items.append(kept)
            paths += inner
        return items, paths
    return value, []


def path_of(dotted_path: str) -> Path:
    """``layers.llm.tools[0].name`` or ``layers.llm.tools.0.name`` -> a path tuple."""
    parts: list[str | int] = []
    for token in dotted_path.replace("[", ".").replace("]", "").split("."):
        if token:
            parts.append(int(token) if token.isdigit() else token)
    return tuple(parts)


def touches(path: Path, unknown: Sequence[Path]) -> bool:
    """Whether a finding at ``path`` may be caused by an unknown value: it lies inside one, or
    is about an object or list that contains one (the unknown might satisfy the rule). A list
    with an unknown element makes findings about the list itself uncertain, not those about
    its known elements."""
    for hole in unknown:
        if hole and hole[-1] == ELEMENT:
            if path == hole[:-1] or (len(path) < len(hole) - 1 and hole[: len(path)] == path):
                return True
            continue
        shorter = min(len(path), len(hole))
        if path[:shorter] == hole[:shorter]:
            return True
    return False
