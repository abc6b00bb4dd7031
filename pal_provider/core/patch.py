"""Minimal RFC 6902 JSON Patches.

:func:`make_patch` is general: it works on any two JSON documents. :func:`patch_for` is the
reconciler's entry point: it patches only what the canonical diff of a live and a desired PAL
says must change, addressed in the live document exactly as GET returned it, so unmanaged and
server-written fields are never touched and a masked secret is never sent back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from pal_provider.core.canonical import canonicalize
from pal_provider.core.diff import ChangeSet, diff_documents
from pal_provider.core.fields import LEGACY_ALIASES
from pal_provider.core.jsonvalue import (
    Json,
    Path,
    copy_json,
    from_pointer,
    get_path,
    strict_equal,
    to_dotted,
    to_pointer,
)
from pal_provider.core.masking import MASK, find_unsendable, redact

__all__ = [
    "JsonPatch",
    "PatchOp",
    "UnsendableSecretError",
    "guarded_patch",
    "make_patch",
    "patch_for",
    "patch_from_changes",
]

OpName = Literal["add", "remove", "replace", "test"]


class UnsendableSecretError(ValueError):
    """A patch would send a masked secret or an unresolved secret reference."""


@dataclass(frozen=True, eq=True)
class PatchOp:
    """One RFC 6902 operation; ``value`` is ignored for ``remove``."""

    op: OpName
    path: str
    value: Json = None

    def __post_init__(self) -> None:
        if self.op not in ("add", "remove", "replace", "test"):
            raise ValueError(f"PatchOp.op must be add, remove, replace or test, got {self.op!r}")
        from_pointer(self.path)  # validates the pointer

    def __hash__(self) -> int:
        return hash((self.op, self.path))

    def __repr__(self) -> str:
        return f"PatchOp({self.redacted()!r})"

    def to_json(self) -> dict[str, Any]:
        """The operation as sent on the wire (secret values included)."""
        if self.op == "remove":
            return {"op": "remove", "path": self.path}
        return {"op": self.op, "path": self.path, "value": self.value}

    def redacted(self) -> dict[str, Any]:
        """The operation with every secret value replaced by ``********``, for logs."""
        wire = self.to_json()
        if "value" in wire:
            wire["value"] = redact(self.value, from_pointer(self.path), MASK)
        return wire


class JsonPatch(Sequence[PatchOp]):
    """An immutable RFC 6902 patch; operations keep the order they were generated in."""

    __slots__ = ("_ops",)

    def __init__(self, ops: Iterable[PatchOp] = ()) -> None:
        self._ops: tuple[PatchOp, ...] = tuple(ops)

    @overload
    def __getitem__(self, index: int) -> PatchOp: ...
    @overload
    def __getitem__(self, index: slice) -> JsonPatch: ...
    def __getitem__(self, index: int | slice) -> PatchOp | JsonPatch:
        if isinstance(index, slice):
            return JsonPatch(self._ops[index])
        return self._ops[index]

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[PatchOp]:
        return iter(self._ops)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonPatch):
            return self._ops == other._ops
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._ops)

    def __repr__(self) -> str:
        return f"JsonPatch({self.redacted()!r})"

    @property
    def empty(self) -> bool:
        return not self._ops

    def to_json(self) -> list[dict[str, Any]]:
        """The request body of ``PATCH /pals/{id}``."""
        return [op.to_json() for op in self._ops]

    def redacted(self) -> list[dict[str, Any]]:
        """The body with secret values masked, safe to log."""
        return [op.redacted() for op in self._ops]


def make_patch(source: Json, target: Json) -> JsonPatch:
    """The smallest patch turning ``source`` into ``target``.

    Objects are compared key by key (``remove`` for keys missing from ``target``, ``add`` for
    new keys with their whole subtree, recursion into common keys); anything else, arrays
    included, is ``replace``d whole when it differs type-strictly. The root is replaced when
    the documents are not both objects. Operations come in sorted key order.
    """
    ops: list[PatchOp] = []
    _walk(source, target, (), ops)
    return JsonPatch(ops)


def _walk(source: Json, target: Json, path: Path, ops: list[PatchOp]) -> None:
    if source is target:
        return
    if isinstance(source, Mapping) and isinstance(target, Mapping):
        for key in sorted(source.keys() | target.keys(), key=str):
            child = (*path, key)
            if key not in target:
                ops.append(PatchOp("remove", to_pointer(child)))
            elif key not in source:
                ops.append(PatchOp("add", to_pointer(child), copy_json(target[key])))
            else:
                _walk(source[key], target[key], child, ops)
        return
    if not strict_equal(source, target):
        ops.append(PatchOp("replace", to_pointer(path), copy_json(target)))


def patch_for(
    live: Mapping[str, Json],
    desired: Mapping[str, Json],
    *,
    managed_only: bool = True,
    changed_secrets: Collection[Path | str] = (),
) -> JsonPatch:
    """The patch that makes the PAL ``live`` (as GET returned it) match ``desired`` (a declared
    body with real secret values).

    Only managed fields are touched (with ``managed_only=False``, unknown fields too; never
    server-owned ones). A masked live secret is left alone unless its path is in
    ``changed_secrets`` or it is new; then the declared value is sent.
    """
    changes = diff_documents(
        canonicalize(live, live=True, managed_only=managed_only),
        canonicalize(desired, live=False, managed_only=managed_only),
        changed_secrets=changed_secrets,
    )
    return patch_from_changes(live, changes)


def guarded_patch(
    stored: Mapping[str, Json],
    desired: Mapping[str, Json],
    *,
    changed_secrets: Collection[Path] = (),
) -> JsonPatch | None:
    """The patch from ``stored`` (the document as palfleet last wrote it, secrets masked) to
    ``desired``, sent without reading the PAL first: every operation on a stored value is
    preceded by a ``test`` of that value, so the server applies nothing (422) when the live PAL
    no longer is what palfleet stored (an edit in the dashboard), and the caller reads it and
    patches again.

    RFC 6902 has no test of absence: an ``add`` of a member new to ``stored`` goes unguarded
    when its parent object is stored (the server refuses it, 422, when the parent is gone; a
    value set there out of band is overwritten with the declared one, as a read first would
    do). A changed secret is replaced without a guard: its live value cannot be known. None
    when an operation cannot be guarded otherwise (its stored value holds a masked secret,
    which the server compares with the real one).
    """
    patch = patch_for(stored, desired, changed_secrets=changed_secrets)
    secret_pointers = {to_pointer(path) for path in changed_secrets}
    ops: list[PatchOp] = []
    for op in patch:
        if op.path in secret_pointers:
            ops.append(op)
            continue
        path = from_pointer(op.path)
        found, value = get_path(stored, path)
        if not found:
            parent_found, parent = get_path(stored, path[:-1])
            if op.op != "add" or not parent_found or not isinstance(parent, Mapping):
                return None
            ops.append(op)
        elif find_unsendable(value, path):
            return None
        else:
            ops += [PatchOp("test", op.path, copy_json(value)), op]
    return JsonPatch(ops)


def patch_from_changes(live: Mapping[str, Json], changes: ChangeSet) -> JsonPatch:
    """The patch applying ``changes`` (from :func:`diff_documents`) to the raw ``live``
    document: keys keep the spelling ``live`` uses (legacy aliases included), objects the
    canonical form left out are merged into, never overwritten."""
    for change in changes:
        if change.kind != "remove":
            _refuse_unsendable(change.new, change.path)
    return make_patch(live, apply_changes(live, changes))


def apply_changes(document: Mapping[str, Json], changes: ChangeSet) -> Json:
    """``document`` with ``changes`` applied, in its own spelling; ``document`` is not modified.

    Used on refresh to carry only real (canonical) differences into the stored declaration,
    so a PAL that matches it keeps its spec byte for byte.
    """
    target: Json = document
    for change in changes:
        if change.kind == "remove":
            target = _removed(target, change.path, ())
        else:
            target = _put(target, change.path, change.new, ())
    return target


def _refuse_unsendable(value: Json, path: Path) -> None:
    found = find_unsendable(value, path)
    if found is not None:
        where, what = found
        raise UnsendableSecretError(
            f"{to_dotted(where)}: the value to send is {what}; substitute the real secret value "
            "before computing the patch"
        )


def _raw_key(node: Mapping[str, Json], prefix: Path, key: str | int) -> str:
    name = str(key)
    if name in node:
        return name
    for legacy in LEGACY_ALIASES.get((*prefix, key), ()):
        if legacy in node:
            return legacy
    return name


def _put(node: Json, path: Path, value: Json, prefix: Path) -> Json:
    """Copy-on-write: ``node`` with ``value`` at ``path`` (missing parents created, an object
    merged into an existing object)."""
    if not path:
        if isinstance(node, Mapping) and isinstance(value, Mapping):
            return _merge(node, value)
        return value
    if not isinstance(node, Mapping):
        node = {}
    key = _raw_key(node, prefix, path[0])
    out = dict(node)
    out[key] = _put(node.get(key), path[1:], value, (*prefix, path[0]))
    return out


def _merge(existing: Mapping[str, Json], value: Mapping[str, Json]) -> dict[str, Json]:
    out = dict(existing)
    for key, item in value.items():
        current = existing.get(key)
        if isinstance(current, Mapping) and isinstance(item, Mapping):
            out[key] = _merge(current, item)
        elif key not in existing or not strict_equal(current, item):
            out[key] = item
    return out


def _removed(node: Json, path: Path, prefix: Path) -> Json:
    """Copy-on-write: ``node`` without ``path``; unchanged when the path does not exist."""
    if not isinstance(node, Mapping):
        return node
    key = _raw_key(node, prefix, path[0])
    if key not in node:
        return node
    out = dict(node)
    if len(path) == 1:
        del out[key]
    else:
        child = _removed(node[key], path[1:], (*prefix, path[0]))
        if child is node[key]:
            return node
        out[key] = child
    return out
