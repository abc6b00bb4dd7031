"""core/fields.py and the declaration models describe the same PAL: a field that can be
declared is compared and patched (or is one of palfleet's own keys that never reach the API),
and the diff knows no field that cannot be declared."""

from __future__ import annotations

from pydantic import BaseModel

from pal_provider.core.fields import MANAGED_LAYER_FIELDS, MANAGED_TOP_LEVEL, OPEN_LAYERS
from pal_provider.declaration.models import Layers, PalIntent

# Declaration keys that are palfleet's own: resolved into API fields before anything is sent.
DECLARATION_ONLY: dict[tuple[str, ...], str] = {
    ("face",): "resolved to default_face_id from bindings.faces",
    ("palfleet",): "reconciler options, never sent",
}


def test_every_declarable_top_level_field_is_managed() -> None:
    declared = {name for name in PalIntent.model_fields if (name,) not in DECLARATION_ONLY}
    assert declared == set(MANAGED_TOP_LEVEL)


def test_every_declarable_layer_field_is_managed() -> None:
    assert set(Layers.model_fields) == set(MANAGED_LAYER_FIELDS)
    for layer, info in Layers.model_fields.items():
        model = next(a for a in info.annotation.__args__ if a is not type(None))  # type: ignore[union-attr]
        if layer in OPEN_LAYERS:
            assert not (isinstance(model, type) and issubclass(model, BaseModel)), layer
            continue
        declared = {
            name for name in model.model_fields if ("layers", layer, name) not in DECLARATION_ONLY
        }
        assert declared == set(MANAGED_LAYER_FIELDS[layer]), layer
