"""`defaults` deep-merged under each PAL: mappings merge key by key, the PAL wins, lists and
scalars replace (never append), and an explicit `null` in a PAL removes the default."""

from __future__ import annotations

from typing import Any

from .models import PalIntent


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _strip_none(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_strip_none(v) for v in node]
    return node


def merged_intent_dict(defaults: PalIntent | None, pal: PalIntent) -> dict[str, Any]:
    base = defaults.model_dump(exclude_unset=True) if defaults is not None else {}
    return _strip_none(deep_merge(_strip_none(base), pal.model_dump(exclude_unset=True)))  # type: ignore[no-any-return]


def merge_intent(defaults: PalIntent | None, pal: PalIntent) -> PalIntent:
    return PalIntent.model_validate(merged_intent_dict(defaults, pal))
