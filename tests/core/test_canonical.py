"""Canonical form: every rule of the field tables, and the zero-spurious-diff property."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from pal_provider.core import MASK, CanonicalFormError, canonicalize, comparable_current, diff_pal
from pal_provider.core.fields import MANAGED_LAYER_FIELDS, MANAGED_TOP_LEVEL, SERVER_OWNED
from tests.core.strategies import DECLARED_PAL, stored_by_server


def declared(**fields: Any) -> dict[str, Any]:
    return {"pal_name": "Guide", "default_face_id": "r123", "system_prompt": "Be kind.", **fields}


def test_server_owned_and_unknown_fields_are_dropped() -> None:
    live = {
        **declared(),
        "pal_id": "pcb7a34da5fe",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
        "owner_id": "u1",
        "conferencing_email": "x@tavusinvite.com",
        "pal_type": "user",
        "persona_type": "user",
        "is_system": False,
        "discarded_maker_changes": True,
        "brand_new_server_field": 1,
        "layers": {"llm": {"model": "m", "server_trace": "t"}, "mystery_layer": {"a": 1}},
    }
    out = canonicalize(live, live=True)
    assert set(out) == {"pal_name", "default_face_id", "system_prompt", "pipeline_mode", "layers"}
    assert out["layers"] == {"llm": {"model": "m", "speculative_inference": True}}


def test_unmanaged_fields_kept_when_asked_but_never_server_owned() -> None:
    live = {**declared(), "pal_id": "p1", "brand_new": 1, "layers": {"x": {"y": 2}}}
    out = canonicalize(live, live=True, managed_only=False)
    assert out["brand_new"] == 1
    assert out["layers"]["x"] == {"y": 2}
    assert "pal_id" not in out


def test_tables_cover_the_documented_fields() -> None:
    assert {"pal_name", "system_prompt", "layers", "tool_ids", "guardrail_ids"} <= MANAGED_TOP_LEVEL
    assert set(MANAGED_LAYER_FIELDS) == {
        "llm",
        "tts",
        "stt",
        "perception",
        "conversational_flow",
        "conferencing",
        "sts",
        "transport",
        "capabilities",
        "knowledge_base",
    }
    assert not (SERVER_OWNED & MANAGED_TOP_LEVEL)


def test_open_layers_compare_every_key() -> None:
    layers = {"sts": {"voice": "calm"}, "transport": {"transport_type": "livekit", "x": {"y": 1}}}
    out = canonicalize(declared(layers=layers), live=False)
    assert out["layers"]["sts"] == {"voice": "calm"}
    assert out["layers"]["transport"] == layers["transport"]
    assert diff_pal(declared(layers=layers), declared(layers=layers)).empty
    changed = {**layers, "transport": {"transport_type": "daily"}}
    assert [c.path for c in diff_pal(declared(layers=layers), declared(layers=changed))] == [
        ("layers", "transport", "transport_type"),
        ("layers", "transport", "x"),
    ]


def test_pipeline_mode_defaults_to_full() -> None:
    assert canonicalize(declared(), live=False)["pipeline_mode"] == "full"
    assert diff_pal(declared(pipeline_mode="full"), declared()).empty


def test_speculative_inference_is_filled_only_in_full_mode() -> None:
    full = canonicalize(declared(), live=False)
    assert full["layers"]["llm"]["speculative_inference"] is True
    echo = canonicalize({"pal_name": "E", "pipeline_mode": "echo"}, live=False)
    assert "layers" not in echo
    live = declared(layers={"llm": {"speculative_inference": True}})
    assert diff_pal(live, declared()).empty
    changed = diff_pal(live, declared(layers={"llm": {"speculative_inference": False}}))
    assert [(c.dotted, c.old, c.new) for c in changed] == [
        ("layers.llm.speculative_inference", True, False)
    ]


def test_undeclared_model_is_the_servers_choice() -> None:
    live = declared(layers={"llm": {"model": "tavus-glm-4.7", "speculative_inference": True}})
    assert diff_pal(live, declared()).empty
    changed = diff_pal(live, declared(layers={"llm": {"model": "tavus-gpt-oss"}}))
    assert [(c.dotted, c.kind) for c in changed] == [("layers.llm.model", "change")]


def test_conversational_flow_defaults_are_filled_once_any_field_is_set() -> None:
    out = canonicalize(
        declared(layers={"conversational_flow": {"turn_taking_patience": "high"}}), live=False
    )
    assert out["layers"]["conversational_flow"] == {
        "turn_detection_model": "sparrow-1",
        "turn_taking_patience": "high",
        "face_interruptibility": "medium",
    }
    assert "conversational_flow" not in canonicalize(declared(), live=False).get("layers", {})


def test_conversational_flow_absent_is_not_active_with_defaults() -> None:
    live = declared(layers={"conversational_flow": {"turn_detection_model": "sparrow-1"}})
    changes = diff_pal(live, declared())
    assert [(c.dotted, c.kind) for c in changes] == [("layers.conversational_flow", "remove")]


def test_undocumented_flow_defaults_are_ignored_unless_declared() -> None:
    live = declared(
        layers={
            "conversational_flow": {
                "turn_taking_patience": "high",
                "voice_isolation": "near",
                "idle_engagement": "x",
            }
        }
    )
    assert diff_pal(
        live, declared(layers={"conversational_flow": {"turn_taking_patience": "high"}})
    ).empty
    changes = diff_pal(
        live,
        declared(
            layers={
                "conversational_flow": {"turn_taking_patience": "high", "voice_isolation": "off"}
            }
        ),
    )
    assert [(c.dotted, c.new) for c in changes] == [
        ("layers.conversational_flow.voice_isolation", "off")
    ]


@pytest.mark.parametrize(
    ("path", "default", "companion"),
    [
        (("layers", "tts", "tts_engine"), "cartesia", {"voice_id": "v"}),
        (("layers", "stt", "stt_engine"), "tavus-advanced", {"hotwords": "Tavus"}),
        (
            ("layers", "perception", "perception_model"),
            "raven-1",
            {"visual_awareness_queries": ["q"]},
        ),
    ],
)
def test_documented_layer_defaults_equal_absence(
    path: tuple[str, ...], default: str, companion: dict[str, Any]
) -> None:
    _, layer, field = path
    assert diff_pal(declared(layers={layer: {field: default}}), declared()).empty
    assert diff_pal(declared(), declared(layers={layer: {field: default}})).empty
    assert diff_pal(
        declared(layers={layer: {field: default, **companion}}), declared(layers={layer: companion})
    ).empty
    changes = diff_pal(
        declared(layers={layer: {field: "something-else", **companion}}),
        declared(layers={layer: {field: default, **companion}}),
    )
    assert [(c.path, c.kind, c.new) for c in changes] == [(path, "change", default)]


def test_dropping_a_defaulted_field_means_its_default() -> None:
    live = declared(layers={"tts": {"tts_engine": "elevenlabs", "voice_id": "v"}})
    changes = diff_pal(live, declared(layers={"tts": {"voice_id": "v"}}))
    assert [(c.dotted, c.kind, c.old, c.new) for c in changes] == [
        ("layers.tts.tts_engine", "change", "elevenlabs", "cartesia")
    ]


@pytest.mark.parametrize("empty", [None, "", {}, []])
def test_empty_equals_absent(empty: Any) -> None:
    for field in ("greeting", "document_ids", "layers"):
        assert diff_pal(declared(**{field: empty}), declared()).empty
        assert diff_pal(declared(), declared(**{field: empty})).empty
    assert diff_pal(declared(layers={"tts": {"voice_id": empty}}), declared()).empty


def test_empty_values_inside_free_form_objects_are_compared() -> None:
    live = declared(layers={"llm": {"extra_body": {"stop": []}}})
    changes = diff_pal(live, declared(layers={"llm": {"extra_body": {"stop": None}}}))
    assert [c.dotted for c in changes] == ["layers.llm.extra_body.stop"]


def test_set_valued_arrays_ignore_order_and_duplicates() -> None:
    live = declared(
        document_tags=["b", "a", "a"],
        layers={"conferencing": {"username": "x1", "allowlist": ["z@x", "a@x"]}},
    )
    want = declared(
        document_tags=["a", "b"],
        layers={"conferencing": {"username": "x1", "allowlist": ["a@x", "z@x"]}},
    )
    assert diff_pal(live, want).empty
    assert not diff_pal(declared(document_tags=["a"]), want).empty


def test_ordered_arrays_keep_their_order() -> None:
    live = declared(memories=["m2", "m1"])
    assert [c.dotted for c in diff_pal(live, declared(memories=["m1", "m2"]))] == ["memories"]


def test_conferencing_username_is_compared_lower_case() -> None:
    live = declared(layers={"conferencing": {"username": "acme.sales"}})
    assert diff_pal(live, declared(layers={"conferencing": {"username": "Acme.Sales"}})).empty


def test_voice_settings_written_by_server_are_ignored_with_a_pronunciation_dictionary() -> None:
    live = declared(
        layers={
            "tts": {
                "pronunciation_dictionary_id": "d1",
                "voice_settings": {"locators": ["x"], "speed": 1.0},
            }
        }
    )
    assert diff_pal(live, declared(layers={"tts": {"pronunciation_dictionary_id": "d1"}})).empty
    assert diff_pal(
        live,
        declared(
            layers={"tts": {"pronunciation_dictionary_id": "d1", "voice_settings": {"speed": 1.0}}}
        ),
    ).empty
    changes = diff_pal(
        live,
        declared(
            layers={"tts": {"pronunciation_dictionary_id": "d1", "voice_settings": {"speed": 1.2}}}
        ),
    )
    assert [(c.dotted, c.old, c.new) for c in changes] == [
        ("layers.tts.voice_settings.speed", 1.0, 1.2)
    ]


def test_voice_settings_are_compared_whole_without_a_dictionary() -> None:
    live = declared(layers={"tts": {"voice_settings": {"locators": ["x"], "speed": 1.0}}})
    changes = diff_pal(live, declared(layers={"tts": {"voice_settings": {"speed": 1.0}}}))
    assert [(c.dotted, c.kind) for c in changes] == [
        ("layers.tts.voice_settings.locators", "remove")
    ]


def test_masked_secret_makes_no_diff() -> None:
    live = declared(layers={"llm": {"model": "c", "base_url": "https://x", "api_key": MASK}})
    assert diff_pal(
        live, declared(layers={"llm": {"model": "c", "base_url": "https://x", "api_key": "sk-1"}})
    ).empty


@pytest.mark.parametrize(
    ("live_layers", "field", "value"),
    [
        (
            {"conversational_flow": {"replica_interruptibility": "low"}},
            "face_interruptibility",
            "low",
        ),
        (
            {"conversational_flow": {"pal_interruptibility": "high"}},
            "face_interruptibility",
            "high",
        ),
    ],
)
def test_older_flow_spellings_are_read_as_face_interruptibility(
    live_layers: dict[str, Any], field: str, value: str
) -> None:
    out = canonicalize(declared(layers=live_layers), live=True)
    assert out["layers"]["conversational_flow"][field] == value
    flow = out["layers"]["conversational_flow"]
    assert not {"replica_interruptibility", "pal_interruptibility"} & set(flow)
    assert diff_pal(
        declared(layers=live_layers), declared(layers={"conversational_flow": {field: value}})
    ).empty


def test_pals_spelling_wins_over_legacy_spelling() -> None:
    live = {
        "persona_name": "Old",
        "pal_name": "New",
        "default_replica_id": "r9",
        "system_prompt": "x",
    }
    out = canonicalize(live, live=True)
    assert out["pal_name"] == "New"
    assert out["default_face_id"] == "r9"
    assert "persona_name" not in out and "default_replica_id" not in out


def test_canonical_form_does_not_share_or_modify_the_input() -> None:
    doc = declared(layers={"llm": {"tools": [{"type": "function", "function": {"name": "f"}}]}})
    before = repr(doc)
    out = canonicalize(doc, live=False)
    out["layers"]["llm"]["tools"][0]["function"]["name"] = "g"
    assert repr(doc) == before


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (["not", "an", "object"], "must be a JSON object"),
        ({"pal_name": "x", "layers": ["llm"]}, "'layers' must be an object"),
        ({"pal_name": "x", "layers": {"llm": "tavus-gpt-oss"}}, "'layers.llm' must be an object"),
    ],
)
def test_misshapen_documents_get_a_clear_error(doc: Any, message: str) -> None:
    with pytest.raises(CanonicalFormError, match=message):
        canonicalize(doc, live=True)


def test_comparable_current_is_copy_on_write() -> None:
    current = canonicalize(declared(layers={"llm": {"model": "m"}}), live=True)
    desired = canonicalize(declared(), live=False)
    view = comparable_current(current, desired)
    assert "model" not in view["layers"]["llm"]
    assert current["layers"]["llm"]["model"] == "m"


@given(DECLARED_PAL.flatmap(lambda d: stored_by_server(d).map(lambda live: (d, live))))
def test_what_the_server_stores_never_differs_from_the_declaration(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    declared_pal, live = pair
    changes = diff_pal(live, declared_pal)
    assert changes.empty, changes.render()


@given(DECLARED_PAL)
def test_canonicalize_is_idempotent(doc: dict[str, Any]) -> None:
    once = canonicalize(doc, live=False)
    assert canonicalize(once, live=False) == once
