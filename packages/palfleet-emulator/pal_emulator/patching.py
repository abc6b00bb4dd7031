"""RFC 6902 (JSON Patch) and RFC 6901 (JSON Pointer) for ``PATCH /pals/{id}``: the ``jsonpatch``
and ``jsonpointer`` libraries behind the four names the service uses.

``jsonpatch`` (>= 1.35) is as strict as the contract wants: ``replace``/``remove`` of a missing
member, an ``add`` under a missing parent, array indices with leading zeros, ``-`` anywhere but
as an ``add`` target, an operation missing a member, an unknown operation and an invalid ``~``
escape are all errors; it passes the shared conformance suite (``shared/conformance/json-patch``)
with no failure. Two things are this module's own: ``test`` compares type-strictly (``1`` is
not ``true``, as JSON has it; Python's ``==`` says otherwise), and every library exception
becomes one :class:`PatchError`. The patch is atomic: it is applied to a copy, so a failing
operation leaves the caller's document untouched.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import jsonpatch
import jsonpointer

JsonValue = Any

_FAILURES = (
    jsonpatch.JsonPatchException,
    jsonpointer.JsonPointerException,
    TypeError,
    KeyError,
    IndexError,
    ValueError,
)


class PatchError(ValueError):
    """The patch is malformed, a pointer does not resolve, or a ``test`` failed."""


def _strictly_equal(a: JsonValue, b: JsonValue) -> bool:
    """JSON equality: numbers and booleans never equal each other, structure compared deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _StrictTest(jsonpatch.TestOperation):  # type: ignore[misc]
    def apply(self, obj: JsonValue) -> JsonValue:
        try:
            subobj, part = self.pointer.to_last(obj)
            value = subobj if part is None else self.pointer.walk(subobj, part)
        except jsonpointer.JsonPointerException as error:
            raise jsonpatch.JsonPatchTestFailed(str(error)) from None
        if not _strictly_equal(value, self.operation["value"]):
            raise jsonpatch.JsonPatchTestFailed(f"test failed at {self.location!r}")
        return obj


class _StrictPatch(jsonpatch.JsonPatch):  # type: ignore[misc]
    operations = MappingProxyType({**jsonpatch.JsonPatch.operations, "test": _StrictTest})


def parse_pointer(pointer: object) -> list[str]:
    """The unescaped reference tokens of an RFC 6901 pointer."""
    if not isinstance(pointer, str):
        raise PatchError("a JSON pointer must be a string")
    try:
        return list(jsonpointer.JsonPointer(pointer).parts)
    except jsonpointer.JsonPointerException as error:
        raise PatchError(f"invalid JSON pointer {pointer!r}: {error}") from None


def format_pointer(tokens: list[str]) -> str:
    return str(jsonpointer.JsonPointer.from_parts(tokens).path)


def validate_patch(patch: object) -> list[dict[str, Any]]:
    """The operations of ``patch``, checked for shape before anything is applied."""
    if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
        raise PatchError("a JSON Patch must be an array of operation objects")
    try:
        _StrictPatch(patch)
    except _FAILURES as error:
        raise PatchError(str(error) or type(error).__name__) from None
    return patch


def apply_patch(document: JsonValue, patch: object) -> JsonValue:
    """Apply ``patch`` to a copy of ``document`` and return the result (atomic)."""
    operations = validate_patch(patch)
    try:
        return _StrictPatch(operations).apply(document, in_place=False)
    except _FAILURES as error:
        raise PatchError(str(error) or type(error).__name__) from None
