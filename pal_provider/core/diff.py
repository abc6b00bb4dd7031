"""Typed differences between two canonical PAL documents.

``diff_documents`` walks both documents together: objects member by member, arrays whole (a
patch replaces arrays whole, so an element-level report would not match it), every comparison
type-strict (``1``, ``1.0`` and ``True`` differ), every key compared whatever its spelling
(``__seed`` included). Secret leaves follow the rules of :mod:`pal_provider.core.masking`: a
masked value never makes a difference by itself.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, overload

from pal_provider.core.canonical import canonicalize, comparable_current
from pal_provider.core.fields import ELIDED_DEFAULTS
from pal_provider.core.jsonvalue import (
    Json,
    Path,
    get_path,
    path_sort_key,
    strict_equal,
    to_dotted,
    to_pointer,
)
from pal_provider.core.masking import (
    MASK,
    contains_secret,
    is_secret_path,
    is_secret_ref,
    normalize_paths,
    redact,
    secret_prefix,
)

__all__ = ["Change", "ChangeKind", "ChangeSet", "diff_documents", "diff_pal"]

ChangeKind = Literal["add", "remove", "change"]

SUMMARY_LIMIT: Final = 100
"""Strings longer than this (or multi-line) are summarized by length in renderings."""

_SECRET: Final = "[secret]"
_SECRET_CHANGED: Final = "[secret changed]"


@dataclass(frozen=True, eq=True)
class Change:
    """One difference at ``path``: ``old`` is the current value, ``new`` the desired one
    (``None`` for the side where the value is absent)."""

    path: Path
    kind: ChangeKind
    old: Json = None
    new: Json = None
    secret: bool = False

    def __hash__(self) -> int:
        return hash((self.path, self.kind))

    def __repr__(self) -> str:
        return f"Change({self.render()!r})"

    @property
    def pointer(self) -> str:
        """RFC 6901 pointer (``/layers/llm/model``)."""
        return to_pointer(self.path)

    @property
    def dotted(self) -> str:
        """Dotted name (``layers.llm.model``)."""
        return to_dotted(self.path)

    def render(self) -> str:
        """One human line; secret values never appear, long texts are summarized."""
        name = self.dotted
        if self.kind == "add":
            return f"+ {name}: {self._summary(self.new)}"
        if self.kind == "remove":
            return f"- {name}: {self._summary(self.old)}"
        if secret_prefix(self.path) is not None:
            return f"~ {name}: {_SECRET_CHANGED}"
        if (
            isinstance(self.old, str)
            and isinstance(self.new, str)
            and (_is_long_text(self.old) or _is_long_text(self.new))
        ):
            added, removed = _line_stats(self.old, self.new)
            return (
                f"~ {name}: text changed ({len(self.old):,} -> {len(self.new):,} chars, "
                f"+{added} -{removed} lines)"
            )
        return f"~ {name}: {self._summary(self.old)} -> {self._summary(self.new)}"

    def text_diff(self, *, context: int = 3, max_lines: int | None = 60) -> str:
        """A unified diff of the two values (texts line by line, other values as indented
        JSON), cut after ``max_lines`` lines. Secret values are replaced by ``[secret]``."""
        if secret_prefix(self.path) is not None:
            return f"{self.dotted}: {_SECRET_CHANGED if self.kind == 'change' else _SECRET}"
        old = _lines(self.old, self.path) if self.kind != "add" else []
        new = _lines(self.new, self.path) if self.kind != "remove" else []
        diff = list(
            difflib.unified_diff(
                old,
                new,
                fromfile=f"current {self.dotted}",
                tofile=f"desired {self.dotted}",
                n=context,
                lineterm="",
            )
        )
        if max_lines is not None and len(diff) > max_lines:
            diff = [*diff[:max_lines], f"... {len(diff) - max_lines} more diff lines"]
        return "\n".join(diff)

    def _summary(self, value: Json) -> str:
        if secret_prefix(self.path) is not None:
            return _SECRET
        if isinstance(value, str):
            if _is_long_text(value):
                return f"text ({len(value):,} chars)"
            return json.dumps(value, ensure_ascii=False)
        shown = json.dumps(redact(value, self.path, _SECRET), ensure_ascii=False, sort_keys=True)
        if len(shown) > SUMMARY_LIMIT:
            return f"{shown[:SUMMARY_LIMIT]}... ({len(shown):,} chars of JSON)"
        return shown


def _is_long_text(value: Json) -> bool:
    return isinstance(value, str) and (len(value) > SUMMARY_LIMIT or "\n" in value)


def _line_stats(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm=""):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _lines(value: Json, path: Path) -> list[str]:
    if isinstance(value, str):
        return value.splitlines()
    return json.dumps(
        redact(value, path, _SECRET), ensure_ascii=False, sort_keys=True, indent=2
    ).splitlines()


class ChangeSet(Sequence[Change]):
    """An immutable, deterministically ordered (by path) sequence of changes."""

    __slots__ = ("_changes",)

    def __init__(self, changes: Iterable[Change] = ()) -> None:
        self._changes: tuple[Change, ...] = tuple(
            sorted(changes, key=lambda change: path_sort_key(change.path))
        )

    @overload
    def __getitem__(self, index: int) -> Change: ...
    @overload
    def __getitem__(self, index: slice) -> ChangeSet: ...
    def __getitem__(self, index: int | slice) -> Change | ChangeSet:
        if isinstance(index, slice):
            return ChangeSet(self._changes[index])
        return self._changes[index]

    def __len__(self) -> int:
        return len(self._changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self._changes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChangeSet):
            return self._changes == other._changes
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._changes)

    def __repr__(self) -> str:
        return f"ChangeSet({[change.render() for change in self._changes]!r})"

    @property
    def empty(self) -> bool:
        return not self._changes

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(change.path for change in self._changes)

    def render(self) -> str:
        """One line per change, or ``no changes``."""
        if not self._changes:
            return "no changes"
        return "\n".join(change.render() for change in self._changes)


def _walk(current: Json, desired: Json, path: Path = ()) -> Iterator[tuple[Path, ChangeKind]]:
    """Where two JSON documents differ: a member only one object has, or a value (scalar,
    array, or a type change) that is not strictly equal. Equal subtrees are skipped whole."""
    if isinstance(current, Mapping) and isinstance(desired, Mapping):
        for key, value in current.items():
            if key not in desired:
                yield (*path, key), "remove"
            elif not strict_equal(value, desired[key]):
                yield from _walk(value, desired[key], (*path, key))
        for key in desired:
            if key not in current:
                yield (*path, key), "add"
    elif not strict_equal(current, desired):
        yield path, "change"


def diff_documents(
    current: Json,
    desired: Json,
    *,
    changed_secrets: Collection[Path | str] = (),
) -> ChangeSet:
    """The changes that turn canonical ``current`` into canonical ``desired``.

    Fields the server chooses when the declaration is silent are not compared (see
    :func:`~pal_provider.core.canonical.comparable_current`). A secret leaf whose value is
    masked (``********``) or an unresolved ``{"$secret": ...}`` reference on either side is
    reported changed only when its path is in ``changed_secrets`` (the caller knows the
    previously declared value); a secret present on one side only is an add or a remove.
    """
    changed = normalize_paths(changed_secrets)
    if isinstance(current, Mapping) and isinstance(desired, Mapping):
        current = comparable_current(current, desired)
    found: dict[Path, Change] = {}
    for path, kind in _walk(current, desired):
        prefix = secret_prefix(path)
        if prefix is not None:
            path = prefix
        if path not in found:
            change = _change_at(current, desired, path, kind, changed)
            if change is not None:
                found[path] = change
    for path in changed - found.keys():
        if secret_prefix(path) == path:
            change = _change_at(current, desired, path, "change", changed)
            if change is not None:
                found[path] = change
    return ChangeSet(found.values())


def _change_at(
    current: Json, desired: Json, path: Path, kind: ChangeKind, changed: frozenset[Path]
) -> Change | None:
    in_current, old = get_path(current, path)
    in_desired, new = get_path(desired, path)
    if in_current and in_desired:
        kind = "change"
    elif in_desired:
        kind = "add"
    elif in_current:
        kind = "remove"
    else:
        return None
    if kind == "change" and is_secret_path(path):
        # A masked or unresolved value says nothing: only the caller's knowledge counts then.
        knowable = _knowable(old) and _knowable(new)
        if not (not strict_equal(old, new) if knowable else path in changed):
            return None
    if kind == "remove" and path in ELIDED_DEFAULTS:
        # The declaration left a defaulted field out: show (and patch) the default it means.
        kind, new = "change", ELIDED_DEFAULTS[path]
    secret = contains_secret(old, path) or contains_secret(new, path)
    return Change(path=path, kind=kind, old=old, new=new, secret=secret)


def _knowable(value: Json) -> bool:
    return not (value == MASK or is_secret_ref(value))


def diff_pal(
    live: Mapping[str, Json],
    declared: Mapping[str, Json],
    *,
    changed_secrets: Collection[Path | str] = (),
    managed_only: bool = True,
) -> ChangeSet:
    """Canonicalize a live and a declared PAL document and diff them."""
    return diff_documents(
        canonicalize(live, live=True, managed_only=managed_only),
        canonicalize(declared, live=False, managed_only=managed_only),
        changed_secrets=changed_secrets,
    )
