"""A strict RFC 6902 (JSON Patch) / RFC 6901 (JSON Pointer) engine.

Written here rather than taken from the ``jsonpatch`` library because the contract
wants strictness that library relaxes: leading zeros in array indices, ``-`` used
anywhere but as an ``add`` target, numbers compared with booleans in ``test``,
missing members, and ops carrying the wrong member types are all errors here.

``apply_patch`` never mutates its input: it works on a deep copy, so a failing op
leaves the caller's document untouched (the patch is atomic).
"""

from __future__ import annotations

import copy
import re
from typing import Any

JsonValue = Any

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


class PatchError(ValueError):
    """The patch is malformed, a pointer does not resolve, or a ``test`` failed."""


def parse_pointer(pointer: object) -> list[str]:
    """Split an RFC 6901 pointer into unescaped reference tokens."""
    if not isinstance(pointer, str):
        raise PatchError("a JSON pointer must be a string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer {pointer!r} must start with '/'")
    tokens = pointer[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise PatchError(f"JSON pointer {pointer!r} has an invalid '~' escape")
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def format_pointer(tokens: list[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _array_index(token: str, length: int, *, allow_end: bool) -> int:
    if token == "-":
        if allow_end:
            return length
        raise PatchError("'-' only designates the end of an array as an add target")
    if not _INDEX.match(token):
        raise PatchError(
            f"array index {token!r} is not a non-negative integer without leading zeros"
        )
    index = int(token)
    limit = length if allow_end else length - 1
    if index > limit:
        raise PatchError(f"array index {index} is out of range")
    return index


def _resolve(doc: JsonValue, tokens: list[str]) -> JsonValue:
    node = doc
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path member {token!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(token, len(node), allow_end=False)]
        else:
            raise PatchError(f"cannot descend into a scalar at {token!r}")
    return node


def _json_equal(a: JsonValue, b: JsonValue) -> bool:
    """JSON equality: booleans never equal numbers, 1 equals 1.0, object order is irrelevant."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


class _Doc:
    """Mutable holder so whole-document replacement (pointer ``""``) works."""

    def __init__(self, value: JsonValue) -> None:
        self.value = value

    def get(self, tokens: list[str]) -> JsonValue:
        return _resolve(self.value, tokens)

    def add(self, tokens: list[str], value: JsonValue) -> None:
        if not tokens:
            self.value = value
            return
        parent = _resolve(self.value, tokens[:-1])
        last = tokens[-1]
        if isinstance(parent, dict):
            parent[last] = value
        elif isinstance(parent, list):
            parent.insert(_array_index(last, len(parent), allow_end=True), value)
        else:
            raise PatchError("the parent of an add target must be an object or an array")

    def remove(self, tokens: list[str]) -> JsonValue:
        if not tokens:
            raise PatchError("cannot remove the whole document")
        parent = _resolve(self.value, tokens[:-1])
        last = tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise PatchError(f"path member {last!r} does not exist")
            return parent.pop(last)
        if isinstance(parent, list):
            return parent.pop(_array_index(last, len(parent), allow_end=False))
        raise PatchError("the parent of a remove target must be an object or an array")

    def replace(self, tokens: list[str], value: JsonValue) -> None:
        if not tokens:
            self.value = value
            return
        parent = _resolve(self.value, tokens[:-1])
        last = tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise PatchError(f"path member {last!r} does not exist")
            parent[last] = value
        elif isinstance(parent, list):
            parent[_array_index(last, len(parent), allow_end=False)] = value
        else:
            raise PatchError("the parent of a replace target must be an object or an array")


def _member(op: dict[str, Any], name: str) -> JsonValue:
    if name not in op:
        raise PatchError(f"operation {op.get('op')!r} is missing {name!r}")
    return op[name]


def validate_patch(patch: object) -> list[dict[str, Any]]:
    """Check the shape of every operation before anything is applied."""
    if not isinstance(patch, list):
        raise PatchError("a JSON Patch must be an array of operations")
    for op in patch:
        if not isinstance(op, dict):
            raise PatchError("every operation must be an object")
        name = op.get("op")
        if not isinstance(name, str) or name not in _OPS:
            raise PatchError(f"unknown operation {name!r}")
        parse_pointer(_member(op, "path"))
        if name in ("add", "replace", "test"):
            _member(op, "value")
        if name in ("move", "copy"):
            parse_pointer(_member(op, "from"))
    return patch


def apply_patch(document: JsonValue, patch: object) -> JsonValue:
    """Apply ``patch`` to a copy of ``document`` and return the result (atomic)."""
    ops = validate_patch(patch)
    doc = _Doc(copy.deepcopy(document))
    for op in ops:
        name = op["op"]
        path = parse_pointer(op["path"])
        if name == "add":
            doc.add(path, copy.deepcopy(op["value"]))
        elif name == "remove":
            doc.remove(path)
        elif name == "replace":
            doc.replace(path, copy.deepcopy(op["value"]))
        elif name == "test":
            if not _json_equal(doc.get(path), op["value"]):
                raise PatchError(f"test failed at {op['path']!r}")
        else:
            source = parse_pointer(op["from"])
            if name == "move":
                if path[: len(source)] == source and len(path) > len(source):
                    raise PatchError("cannot move a value into one of its own children")
                if path == source:
                    doc.get(source)
                    continue
                doc.add(path, doc.remove(source))
            else:
                doc.add(path, copy.deepcopy(doc.get(source)))
    return doc.value


def json_equal(a: JsonValue, b: JsonValue) -> bool:
    return _json_equal(a, b)
