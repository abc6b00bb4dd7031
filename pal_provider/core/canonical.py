"""Canonical form of declared and live PAL documents.

Two documents that the API would treat as the same PAL have equal canonical forms, so a diff of
canonical forms has no spurious entries. The rules are rows of the tables in
:mod:`pal_provider.core.fields`; this module only applies them:

* only managed fields are kept (server-owned and unknown fields are dropped);
* legacy persona spellings become /pals spellings;
* an empty managed value (None, "", {}, []) is the same as an absent one;
* documented defaults are filled (or elided) identically on both sides;
* set-valued arrays are sorted and deduplicated, the conferencing username lower-cased.

:func:`comparable_current` then hides, pairwise, what the server decides on its own when the
declaration is silent (default model, server-written voice_settings keys, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pal_provider.core.fields import (
    DEFAULTS,
    ELIDED_DEFAULTS,
    LEGACY_ALIASES,
    LOWERCASED,
    MANAGED_LAYER_FIELDS,
    MANAGED_TOP_LEVEL,
    OPEN_LAYERS,
    PRONUNCIATION_DICTIONARY,
    SERVER_CHOSEN,
    SERVER_OWNED,
    SET_VALUED,
    VOICE_SETTINGS,
)
from pal_provider.core.jsonvalue import (
    Json,
    Path,
    copy_json,
    delete_pruning,
    get_path,
    strict_equal,
)
from pal_provider.core.masking import MASK, SECRET_PATHS

__all__ = [
    "MASK",
    "SECRET_PATHS",
    "CanonicalFormError",
    "canonicalize",
    "comparable_current",
    "is_empty",
]


class CanonicalFormError(ValueError):
    """A document is not shaped like a PAL (the message names the field and the fix)."""


def is_empty(value: Json) -> bool:
    """The API treats None, "", {} and [] in a managed field like an absent field."""
    if value is None:
        return True
    if isinstance(value, (str, Mapping, list, tuple)):
        return len(value) == 0
    return False


def canonicalize(
    doc: Mapping[str, Json], *, live: bool, managed_only: bool = True
) -> dict[str, Any]:
    """The canonical form of a declared (``live=False``) or live (``live=True``) PAL document.

    Both sides get the same rules (that is what makes them comparable); ``live`` only names
    the document in error messages. The result is a fresh document (the input is not modified
    or shared). With ``managed_only=False`` unknown fields are kept too (server-owned fields
    never are).
    """
    where = "live PAL document" if live else "declared PAL document"
    if not isinstance(doc, Mapping):
        raise CanonicalFormError(
            f"the {where} must be a JSON object of PAL fields, got {type(doc).__name__}"
        )
    out: dict[str, Any] = {}
    for key, value in _resolve_aliases(doc, ()).items():
        if key in SERVER_OWNED:
            continue
        if key == "layers":
            layers = _canonical_layers(value, managed_only=managed_only, where=where)
            if layers:
                out["layers"] = layers
            continue
        if managed_only and key not in MANAGED_TOP_LEVEL:
            continue
        item = _field_value((key,), value)
        if not is_empty(item):
            out[key] = item
    _fill_defaults(out)
    _elide_defaults(out)
    return out


def _resolve_aliases(node: Mapping[str, Json], path: Path) -> dict[str, Json]:
    out = dict(node)
    for canonical_path, older in LEGACY_ALIASES.items():
        if canonical_path[:-1] != path:
            continue
        name = canonical_path[-1]
        assert isinstance(name, str)
        for legacy in older:
            if legacy in out:
                legacy_value = out.pop(legacy)
                if is_empty(out.get(name)):
                    out[name] = legacy_value
    return out


def _canonical_layers(value: Json, *, managed_only: bool, where: str) -> dict[str, Any]:
    if is_empty(value):
        return {}
    if not isinstance(value, Mapping):
        raise CanonicalFormError(
            f"{where}: 'layers' must be an object keyed by layer name "
            f"({', '.join(sorted(MANAGED_LAYER_FIELDS))}), got {type(value).__name__}"
        )
    out: dict[str, Any] = {}
    for name, layer in value.items():
        known = MANAGED_LAYER_FIELDS.get(name)
        if known is None and managed_only:
            continue
        if is_empty(layer):
            continue
        if not isinstance(layer, Mapping):
            raise CanonicalFormError(
                f"{where}: 'layers.{name}' must be an object of {name} settings, "
                f"got {type(layer).__name__}"
            )
        fields: dict[str, Any] = {}
        for key, item in _resolve_aliases(layer, ("layers", name)).items():
            if managed_only and known is not None and key not in known and name not in OPEN_LAYERS:
                continue
            item = _field_value(("layers", name, key), item)
            if not is_empty(item):
                fields[key] = item
        if fields:
            out[name] = fields
    return out


def _field_value(path: Path, value: Json) -> Json:
    value = copy_json(value)
    if path in SET_VALUED and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    if path in LOWERCASED and isinstance(value, str):
        return value.lower()
    return value


def _fill_defaults(doc: dict[str, Any]) -> None:
    for row in DEFAULTS:
        if row.policy != "fill":
            continue
        if row.when == "full_mode" and doc.get("pipeline_mode") != "full":
            continue
        if row.when == "layer_active":
            found, parent = get_path(doc, row.path[:-1])
            if not found or is_empty(parent):
                continue
        if get_path(doc, row.path)[0]:
            continue
        node = doc
        for token in row.path[:-1]:
            node = node.setdefault(str(token), {})
        node[str(row.path[-1])] = row.value


def _elide_defaults(doc: dict[str, Any]) -> None:
    for path, default in ELIDED_DEFAULTS.items():
        found, value = get_path(doc, path)
        if found and strict_equal(value, default):
            delete_pruning(doc, path)


def comparable_current(current: Mapping[str, Json], desired: Mapping[str, Json]) -> dict[str, Any]:
    """The canonical ``current`` document without what the server decides when ``desired`` is
    silent: server-chosen fields the declaration omits, and (when the declaration sets a
    pronunciation dictionary) the voice_settings keys it does not set.

    Copy-on-write: untouched subtrees are shared with ``current``.
    """
    view: dict[str, Any] = dict(current)
    for row in SERVER_CHOSEN:
        if get_path(desired, row.path)[0]:
            continue
        if row.needs_declared_parent and not get_path(desired, row.path[:-1])[0]:
            continue
        view = _without(view, row.path)
    # Decided on the declaration alone, so that dropping the dictionary also drops the keys
    # the server wrote for it, in the same patch (patch_for converges in one step).
    if get_path(desired, PRONUNCIATION_DICTIONARY)[0]:
        found, live_settings = get_path(view, VOICE_SETTINGS)
        if found and isinstance(live_settings, Mapping):
            _, declared = get_path(desired, VOICE_SETTINGS)
            declared_keys = declared.keys() if isinstance(declared, Mapping) else set()
            kept = {k: v for k, v in live_settings.items() if k in declared_keys}
            view = _with(view, VOICE_SETTINGS, kept) if kept else _without(view, VOICE_SETTINGS)
    return view


def _without(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """Copy-on-write removal of ``path``; parent objects left empty are removed too."""
    if not get_path(doc, path)[0]:
        return doc
    head, rest = path[0], path[1:]
    out = dict(doc)
    if not rest:
        del out[head]  # type: ignore[arg-type]
        return out
    child = _without(doc[head], rest)  # type: ignore[index]
    if child:
        out[head] = child  # type: ignore[index]
    else:
        del out[head]  # type: ignore[arg-type]
    return out


def _with(doc: dict[str, Any], path: Path, value: Json) -> dict[str, Any]:
    """Copy-on-write assignment of an existing ``path``."""
    head, rest = path[0], path[1:]
    out = dict(doc)
    out[head] = value if not rest else _with(doc[head], rest, value)  # type: ignore[index]
    return out
