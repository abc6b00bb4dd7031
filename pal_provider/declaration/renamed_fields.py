"""API fields that were renamed: their older names are still read, with a warning naming the new.

Revision 2 of the contract renamed ``layers.conversational_flow.pal_interruptibility`` (and the
persona-era ``replica_interruptibility``) to ``face_interruptibility``. A declaration written
with an older name keeps working: the value is moved to the new name before the declaration is
validated, and the warning says which line to rename. Two names with different values are an
error: which one is meant cannot be guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .findings import Finding, PathPart, join_path


@dataclass(frozen=True)
class Renamed:
    layer: str
    older: str
    current: str


RENAMED: tuple[Renamed, ...] = (
    Renamed("conversational_flow", "pal_interruptibility", "face_interruptibility"),
    Renamed("conversational_flow", "replica_interruptibility", "face_interruptibility"),
)


def _intents(data: dict[str, Any]) -> Iterator[tuple[tuple[PathPart, ...], str | None, Any]]:
    """(path, PAL name, intent) of ``defaults`` and every PAL."""
    yield ("defaults",), None, data.get("defaults")
    pals = data.get("pals")
    if isinstance(pals, dict):
        for name, pal in pals.items():
            yield ("pals", name), str(name), pal


def rename_older_fields(
    data: Any,
    stack: str,
    file: str,
    locate: Callable[[Sequence[PathPart]], int | None],
) -> tuple[Any, list[Finding]]:
    """``data`` with older field names moved to the current ones (a copy where anything
    moved), and a warning per older name (an error when both names disagree)."""
    if not isinstance(data, dict):
        return data, []
    findings: list[Finding] = []
    out = data
    for where, pal, intent in _intents(data):
        layers = intent.get("layers") if isinstance(intent, dict) else None
        for rule in RENAMED:
            layer = layers.get(rule.layer) if isinstance(layers, dict) else None
            if not isinstance(layer, dict) or rule.older not in layer:
                continue
            path = (*where, "layers", rule.layer, rule.older)
            value = layer[rule.older]
            clash = rule.current in layer and layer[rule.current] != value
            findings.append(
                Finding(
                    stack=stack,
                    pal=pal,
                    path=join_path(path),
                    severity="error" if clash else "warning",
                    message=(
                        f"{rule.older} and {rule.current} are the same field with different values"
                        if clash
                        else f"{rule.older} is the older name of {rule.current}"
                    ),
                    fix=(
                        f"keep only {rule.current}"
                        if clash
                        else f"rename it to {rule.current} (the API renamed the field)"
                    ),
                    file=file,
                    line=locate(path),
                )
            )
            if out is data:
                out = _copy_intents(data)
            target = _layer_of(out, where, rule.layer)
            moved = target.pop(rule.older)
            target.setdefault(rule.current, moved)
    return out, findings


def _copy_intents(data: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough to rename keys inside any layer of any intent."""
    out = dict(data)
    if isinstance(out.get("defaults"), dict):
        out["defaults"] = _copy_intent(out["defaults"])
    if isinstance(out.get("pals"), dict):
        out["pals"] = {k: _copy_intent(v) for k, v in out["pals"].items()}
    return out


def _copy_intent(intent: Any) -> Any:
    if not isinstance(intent, dict) or not isinstance(intent.get("layers"), dict):
        return intent
    layers = {k: dict(v) if isinstance(v, dict) else v for k, v in intent["layers"].items()}
    return {**intent, "layers": layers}


def _layer_of(data: dict[str, Any], where: tuple[PathPart, ...], layer: str) -> dict[str, Any]:
    node: Any = data
    for part in where:
        node = node[part]
    found: dict[str, Any] = node["layers"][layer]
    return found
