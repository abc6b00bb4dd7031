"""The two vocabularies of the same collection: ``/pals`` and legacy ``/personas``.

Input in either spelling is accepted on both paths (contract DECISION) and turned
into the ``/pals`` vocabulary, which is how documents are stored; output is renamed
into the vocabulary of the path the client called.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidDocument

TOP_LEVEL_LEGACY = {
    "persona_id": "pal_id",
    "persona_name": "pal_name",
    "default_replica_id": "default_face_id",
    "persona_type": "pal_type",
}
# Revision 2: `face_interruptibility` is stored; both older names are read on every path.
FLOW_LEGACY = {
    "replica_interruptibility": "face_interruptibility",
    "pal_interruptibility": "face_interruptibility",
}
TOP_LEVEL_MODERN = {v: k for k, v in TOP_LEVEL_LEGACY.items()}
# The legacy /personas path answers in its own (oldest) spelling.
FLOW_MODERN = {"face_interruptibility": "replica_interruptibility"}


def _merge_spellings(obj: dict[str, Any], renames: dict[str, str], where: str) -> dict[str, Any]:
    out = dict(obj)
    for legacy, modern in renames.items():
        if legacy in out:
            value = out.pop(legacy)
            if modern in out and out[modern] != value:
                raise InvalidDocument(
                    f"{where}{legacy} and {where}{modern} are the same field with different values; send one of them"
                )
            out[modern] = value
    return out


def to_canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """Rename legacy spellings (top level and conversational flow) to the ``/pals`` vocabulary."""
    out = _merge_spellings(doc, TOP_LEVEL_LEGACY, "")
    layers = out.get("layers")
    if isinstance(layers, dict) and isinstance(layers.get("conversational_flow"), dict):
        layers = dict(layers)
        layers["conversational_flow"] = _merge_spellings(
            layers["conversational_flow"], FLOW_LEGACY, "layers.conversational_flow."
        )
        out["layers"] = layers
    return out


def to_vocabulary(doc: dict[str, Any], *, legacy: bool) -> dict[str, Any]:
    """Rename a stored (``/pals`` vocabulary) document for the path that was called."""
    if not legacy:
        return doc
    out = {TOP_LEVEL_MODERN.get(k, k): v for k, v in doc.items()}
    layers = out.get("layers")
    if isinstance(layers, dict) and isinstance(layers.get("conversational_flow"), dict):
        flow = layers["conversational_flow"]
        out["layers"] = {
            **layers,
            "conversational_flow": {FLOW_MODERN.get(k, k): v for k, v in flow.items()},
        }
    return out


def canonical_pointer_tokens(tokens: list[str]) -> list[str]:
    """Translate a pointer written in either vocabulary into the ``/pals`` one."""
    if not tokens:
        return tokens
    out = list(tokens)
    out[0] = TOP_LEVEL_LEGACY.get(out[0], out[0])
    if len(out) >= 3 and out[0] == "layers" and out[1] == "conversational_flow":
        out[2] = FLOW_LEGACY.get(out[2], out[2])
    return out
