"""JSON value helpers shared by the canonical form, the diff and the patch generator.

Python's equality treats ``1 == 1.0 == True``; JSON documents do not, so every comparison
in this package goes through :func:`strict_equal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeAlias

Json: TypeAlias = Any
"""Any JSON value: dict, list, str, int, float, bool or None."""

Key: TypeAlias = str | int
Path: TypeAlias = tuple[Key, ...]
"""A location in a document as a tuple of object keys (and array indexes)."""


_ATOMS: Final = frozenset({str, int, float, bool, type(None)})


_MISSING: Final = object()


def _kind(value: Json) -> str:
    # bool is a subclass of int: test it first.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def strict_equal(a: Json, b: Json) -> bool:
    """JSON equality that never confuses ``1``, ``1.0`` and ``True``."""
    if a is b:
        return True
    ta = type(a)
    if ta is type(b):
        # Hot path: documents from json.loads / copy_json hold exact dicts, lists and atoms.
        if ta is dict:
            if len(a) != len(b):
                return False
            for key, value in a.items():
                other = b.get(key, _MISSING)
                if other is _MISSING or not strict_equal(value, other):
                    return False
            return True
        if ta is list:
            return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
        if ta in _ATOMS:
            return bool(a == b)
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "object":
        if len(a) != len(b):
            return False
        return all(key in b and strict_equal(value, b[key]) for key, value in a.items())
    if kind == "array":
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def copy_json(value: Json) -> Json:
    """A deep copy of a JSON value (tuples become lists); much faster than ``copy.deepcopy``."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {
            key: item if type(item) in _ATOMS else copy_json(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _ATOMS else copy_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_json(item) for item in value]
    return value


def escape_token(token: Key) -> str:
    """One RFC 6901 reference token: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: Path) -> str:
    """RFC 6901 JSON Pointer for ``path``; the root is the empty string."""
    return "".join("/" + escape_token(token) for token in path)


def from_pointer(pointer: str) -> tuple[str, ...]:
    """Parse an RFC 6901 pointer into its (unescaped, string) tokens."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def restore_integers(value: Json) -> Json:
    """Undo a protobuf round trip, which carries every JSON number as a double: ``10.0`` is
    ``10`` again (booleans stay booleans). Pulumi hands providers their inputs that way."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: restore_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [restore_integers(item) for item in value]
    return value


def delete_pruning(doc: dict[str, Any], path: Path) -> None:
    """Delete ``path`` (which exists) and every parent object the deletion leaves empty."""
    parents: list[tuple[Any, Key]] = []
    node: Any = doc
    for token in path[:-1]:
        parents.append((node, token))
        node = node[token]
    del node[path[-1]]
    while parents and not node:
        parent, token = parents.pop()
        del parent[token]
        node = parent


def to_dotted(path: Path) -> str:
    """Human spelling of ``path``: ``layers.llm.model``, ``layers.llm.tools[3]``."""
    out = ""
    for token in path:
        if isinstance(token, int):
            out += f"[{token}]"
        else:
            out += ("." if out else "") + token
    return out or "(document)"


def path_sort_key(path: Path) -> tuple[tuple[bool, str, int], ...]:
    """Total order on paths mixing object keys and array indexes."""
    return tuple(
        (True, "", token) if isinstance(token, int) else (False, token, 0) for token in path
    )


def get_path(document: Json, path: Path) -> tuple[bool, Json]:
    """``(True, value)`` when ``path`` exists in ``document``, else ``(False, None)``."""
    node = document
    for token in path:
        if isinstance(node, Mapping):
            if not isinstance(token, str) or token not in node:
                return False, None
            node = node[token]
        elif isinstance(node, list) and isinstance(token, int) and not isinstance(token, bool):
            if not 0 <= token < len(node):
                return False, None
            node = node[token]
        else:
            return False, None
    return True, node
