"""Contract §1-3 through a running emulator: PAL endpoints, field rules, error bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pal_emulator.seed_data import STOCK_PALS
from pal_emulator.testing import RunningEmulator

from pal_emulator_tests.conftest import FACE, OTHER_FACE, error_of, pal_body

MakePal = Callable[..., dict[str, Any]]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


# --- transport --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"}])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/pals"),
        ("POST", "/pals"),
        ("GET", "/pals/pcb7a34da5fe"),
        ("GET", "/tools"),
        ("PATCH", "/pals/pcb7a34da5fe"),
        ("GET", "/personas"),
    ],
)
def test_auth_401(
    emulator: RunningEmulator, headers: dict[str, str], method: str, path: str
) -> None:
    response = httpx.request(method, emulator.base_url + path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid access token"}


STOCK = len(STOCK_PALS)


def test_trailing_slashes(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal()
    assert api.get("/pals/").status_code == 200
    assert api.get(f"/pals/{pal['pal_id']}/").json()["pal_id"] == pal["pal_id"]
    assert api.get(f"/pals/{pal['pal_id']}/tools/").json() == {"data": []}
    assert api.post("/pals/", json=pal_body()).status_code == 200


def test_create_returns_full_document_with_ids_and_timestamps(api: httpx.Client) -> None:
    response = api.post("/pals", json=pal_body(greeting="Hi", document_tags=["faq"]))
    assert response.status_code == 200
    pal = response.json()
    assert re.match(r"^p[0-9a-f]{11}$", pal["pal_id"])
    assert TIMESTAMP.match(pal["created_at"]) and TIMESTAMP.match(pal["updated_at"])
    assert pal["pal_name"] == "Support" and pal["greeting"] == "Hi"
    assert pal["document_tags"] == ["faq"]
    assert pal["pal_type"] == "user" and pal["owner_id"]
    assert pal["tool_ids"] == []
    assert api.get(f"/pals/{pal['pal_id']}").json() == pal


def test_names_are_not_unique(make_pal: MakePal) -> None:
    assert make_pal()["pal_id"] != make_pal()["pal_id"]


# --- not found is 400 ------------------------------------------------------------------


@pytest.mark.parametrize("pal_id", ["p000000000000", "nope", "P12345678901", "pcb7a34da5fe0"])
def test_unknown_or_malformed_pal_is_400(api: httpx.Client, pal_id: str) -> None:
    for response in (
        api.get(f"/pals/{pal_id}"),
        api.patch(f"/pals/{pal_id}", json=[]),
        api.delete(f"/pals/{pal_id}"),
        api.get(f"/pals/{pal_id}/tools"),
        api.post(f"/pals/{pal_id}/tools", json={"tool_ids": []}),
        api.delete(f"/pals/{pal_id}/tools/t000000000000"),
    ):
        assert error_of(response) == "Invalid pal_id"
    assert error_of(api.get(f"/personas/{pal_id}")) == "Invalid persona_id"
    assert error_of(api.patch(f"/personas/{pal_id}", json=[])) == "Invalid persona_id"
    assert error_of(api.delete(f"/personas/{pal_id}/tools/x")) == "Invalid persona_id"


def test_delete_then_gone(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    response = api.delete(f"/pals/{pal_id}")
    assert response.status_code == 204 and response.content == b""
    assert error_of(api.get(f"/pals/{pal_id}")) == "Invalid pal_id"
    assert error_of(api.delete(f"/pals/{pal_id}")) == "Invalid pal_id"


# --- create validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (pal_body(system_prompt=None), "system_prompt"),
        (pal_body(system_prompt="   "), "system_prompt"),
        (pal_body(pipeline_mode="echo"), "system_prompt"),
        (pal_body(pipeline_mode="speech-to-speech"), "system_prompt"),
        (pal_body(system_prompt=None, pipeline_mode="echo", context="x"), "context"),
        (pal_body(pipeline_mode="turbo"), "pipeline_mode"),
        (pal_body(default_face_id="r00000000000"), "default_face_id"),
        (pal_body(pal_name=5), "pal_name"),
        (pal_body(document_ids="doc"), "document_ids"),
        (pal_body(is_template="yes"), "is_template"),
        (pal_body(surprise=1), "surprise"),
        (pal_body(pal_id="p123"), "pal_id"),
        (pal_body(created_at="2020"), "created_at"),
        (pal_body(layers={"warp": {}}), "layers.warp"),
        (pal_body(layers={"llm": "x"}), "layers.llm"),
        (pal_body(layers={"llm": {"model": "tavus-llama"}}), "layers.llm.model"),
        (pal_body(layers={"llm": {"model": "tavus-llama-4"}}), "layers.llm.model"),
        (pal_body(layers={"llm": {"model": "gpt-4o"}}), "layers.llm.model"),
        (
            pal_body(layers={"llm": {"model": "tavus-glm-4.7", "api_key": "k"}}),
            "layers.llm.api_key",
        ),
        (
            pal_body(layers={"llm": {"extra_body": {"max_tokens": 5}}}),
            "layers.llm.extra_body.max_tokens",
        ),
        (
            pal_body(layers={"llm": {"model": "m", "base_url": "ftp://x.example"}}),
            "layers.llm.base_url",
        ),
        (
            pal_body(
                layers={
                    "llm": {
                        "model": "m",
                        "base_url": "https://x.example/v1/chat/completions",
                        "api_key": "k",
                    }
                }
            ),
            "layers.llm.base_url",
        ),
        (
            pal_body(layers={"llm": {"model": "m", "base_url": "https://x.example/v1"}}),
            "layers.llm.api_key",
        ),
        (
            pal_body(layers={"llm": {"base_url": "https://x.example/v1", "api_key": "k"}}),
            "layers.llm.model",
        ),
        (
            pal_body(
                layers={
                    "llm": {
                        "model": "tavus-gpt-oss",
                        "base_url": "https://x.example/v1",
                        "api_key": "k",
                    }
                }
            ),
            "layers.llm.base_url",
        ),
        (
            pal_body(layers={"llm": {"speculative_inference": "yes"}}),
            "layers.llm.speculative_inference",
        ),
        (pal_body(layers={"llm": {"tools": [{"name": "x"}]}}), "layers.llm.tools[0]"),
        (pal_body(layers={"llm": {"temperature": 1}}), "layers.llm.temperature"),
        (pal_body(layers={"tts": {"tts_engine": "polly"}}), "layers.tts.tts_engine"),
        (pal_body(layers={"stt": {"stt_engine": "whisper"}}), "layers.stt.stt_engine"),
        (
            pal_body(layers={"stt": {"participant_pause_sensitivity": "max"}}),
            "layers.stt.participant_pause_sensitivity",
        ),
        (
            pal_body(layers={"stt": {"participant_interrupt_sensitivity": "x"}}),
            "layers.stt.participant_interrupt_sensitivity",
        ),
        (
            pal_body(layers={"perception": {"perception_model": "raven-9"}}),
            "layers.perception.perception_model",
        ),
        (
            pal_body(layers={"perception": {"visual_awareness_queries": [1]}}),
            "layers.perception.visual_awareness_queries",
        ),
        (
            pal_body(layers={"conversational_flow": {"turn_detection_model": "owl"}}),
            "layers.conversational_flow.turn_detection_model",
        ),
        (
            pal_body(layers={"conversational_flow": {"turn_taking_patience": "x"}}),
            "layers.conversational_flow.turn_taking_patience",
        ),
        (
            pal_body(layers={"conversational_flow": {"face_interruptibility": "x"}}),
            "layers.conversational_flow.face_interruptibility",
        ),
        (
            pal_body(layers={"conversational_flow": {"pal_interruptibility": "x"}}),
            "layers.conversational_flow.face_interruptibility",
        ),
        (
            pal_body(layers={"capabilities": {"mcp_enabled": "yes"}}),
            "layers.capabilities.mcp_enabled",
        ),
        (
            pal_body(layers={"knowledge_base": {"rag_n_chunks": 1.5}}),
            "layers.knowledge_base.rag_n_chunks",
        ),
        (
            pal_body(layers={"knowledge_base": {"rag_score_threshold": True}}),
            "layers.knowledge_base.rag_score_threshold",
        ),
        (pal_body(layers={"transport": "livekit"}), "layers.transport"),
        (pal_body(layers={"conferencing": {"whitelabel": "on"}}), "layers.conferencing.whitelabel"),
        (
            pal_body(layers={"conversational_flow": {"voice_isolation": "x"}}),
            "layers.conversational_flow.voice_isolation",
        ),
        (pal_body(layers={"conferencing": {"username": "a"}}), "layers.conferencing.username"),
        (pal_body(layers={"conferencing": {"username": "-ab"}}), "layers.conferencing.username"),
        (pal_body(layers={"conferencing": {"username": "ab-"}}), "layers.conferencing.username"),
        (pal_body(layers={"conferencing": {"username": "a b"}}), "layers.conferencing.username"),
        (pal_body(tool_ids=["t000000000000"]), "tool_ids"),
        (pal_body(tool_ids=["end_call"]), "tool_ids"),
        (pal_body(tool_ids=[f"t{i:012d}" for i in range(51)]), "tool_ids"),
        (pal_body(pal_name="a", persona_name="b"), "persona_name"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_create_validation_names_the_field(api: httpx.Client, body: Any, field: str) -> None:
    assert field in error_of(api.post("/pals", json=body))


def test_invalid_json_body_is_400(api: httpx.Client) -> None:
    response = api.post("/pals", content=b"{not json", headers={"content-type": "application/json"})
    assert "JSON" in error_of(response)


def test_conferencing_requires_a_face_on_the_legacy_path(api: httpx.Client) -> None:
    body = {
        "persona_name": "x",
        "system_prompt": "p",
        "layers": {"conferencing": {"username": "abc"}},
    }
    assert "default_face_id" in error_of(api.post("/personas", json=body))


@pytest.mark.parametrize("mode", ["echo", "speech-to-speech"])
def test_echo_modes_without_prompt(api: httpx.Client, mode: str) -> None:
    response = api.post("/pals", json=pal_body(system_prompt=None, pipeline_mode=mode))
    assert response.status_code == 200, response.text
    pal = response.json()
    assert pal["pipeline_mode"] == mode and "system_prompt" not in pal
    assert "llm" not in pal.get("layers", {})


def test_accepted_models_and_enums(api: httpx.Client, emulator: RunningEmulator) -> None:
    for model in [
        "tavus-glm-4.7",
        "tavus-gpt-oss",
        "tavus-gemini-2.5-flash",
        "tavus-claude-haiku-4.5",
        "tavus-gpt-5.2",
        "tavus-gemini-3-flash",
        "tavus-gpt-4.1",
        "tavus-gpt-4o",
        "tavus-gpt-4o-mini",
        "tavus-gemma-4",
    ]:
        assert api.post("/pals", json=pal_body(layers={"llm": {"model": model}})).status_code == 200
    layers = {
        "llm": {
            "model": "tavus-gpt-oss",
            "extra_body": {"temperature": 0.3, "top_p": 0.9},
            "speculative_inference": False,
            "disable_vision": True,
            "enable_llm_proxy": False,
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "f", "description": "d", "parameters": {}},
                }
            ],
        },
        "tts": {
            "tts_engine": "elevenlabs",
            "voice_id": "v",
            "external_voice_id": "e",
            "tts_model_name": "m",
            "tts_emotion_control": True,
            "voice_settings": {"speed": 1},
        },
        "stt": {
            "stt_engine": "tavus-advanced",
            "participant_pause_sensitivity": "superlow",
            "participant_interrupt_sensitivity": "verylow",
            "hotwords": "Tavus",
            "smart_turn_detection": True,
        },
        "perception": {
            "perception_model": "raven-0",
            "visual_awareness_queries": ["q"],
            "audio_awareness_queries": ["a"],
            "perception_analysis_queries": ["p"],
            "visual_tool_prompt": "v",
            "visual_tools": [],
            "audio_tool_prompt": "a",
            "audio_tools": [],
            "perception_tool_prompt": "p",
            "perception_tools": [],
        },
        "conversational_flow": {
            "turn_detection_model": "time-based",
            "turn_taking_patience": "high",
            "face_interruptibility": "low",
            "voice_isolation": "near",
            "idle_engagement": True,
        },
        "conferencing": {"username": "Front.Desk_1", "allowlist": ["*@example.com"]},
    }
    guardrail = api.post("/guardrails", json={"guardrail_name": "g", "guardrail_prompt": "p"})
    objectives = api.post(
        "/objectives",
        json={"data": [{"objective_name": "greet", "objective_prompt": "Say hello."}]},
    )
    documents = emulator.control.seed(documents=[{"document_name": "faq"}])["documents"]
    response = api.post(
        "/pals",
        json=pal_body(
            layers=layers,
            context="c",
            objectives_id=objectives.json()["objectives_id"],
            guardrails_id="g",
            guardrail_ids=[guardrail.json()["guardrail_id"]],
            guardrail_tags=["t"],
            memories=["m"],
            is_template=False,
            document_ids=documents,
        ),
    )
    assert response.status_code == 200, response.text
    pal = response.json()
    assert pal["layers"]["conferencing"]["username"] == "front.desk_1"
    assert pal["conferencing_email"] == "front.desk_1@tavusinvite.com"
    assert pal["layers"]["llm"]["speculative_inference"] is False
    assert pal["layers"]["conversational_flow"]["voice_isolation"] == "near"


def test_conferencing_username_is_globally_unique(api: httpx.Client, make_pal: MakePal) -> None:
    make_pal(layers={"conferencing": {"username": "desk"}})
    assert "already taken" in error_of(
        api.post("/pals", json=pal_body(layers={"conferencing": {"username": "DESK"}}))
    )


# --- server defaults (§2.4) --------------------------------------------------------------


def test_full_mode_fills_model_and_speculative_inference(make_pal: MakePal) -> None:
    pal = make_pal()
    assert pal["pipeline_mode"] == "full"
    assert pal["layers"]["llm"] == {"model": "tavus-glm-4.7", "speculative_inference": True}


def test_custom_llm_keeps_its_model(make_pal: MakePal) -> None:
    pal = make_pal(
        layers={
            "llm": {
                "model": "my-model",
                "base_url": "https://llm.example/v1",
                "api_key": "sk-secret",
                "headers": {"X": "1"},
                "default_query": {"api-version": "2024"},
            }
        }
    )
    llm = pal["layers"]["llm"]
    assert llm["model"] == "my-model" and llm["speculative_inference"] is True
    assert llm["api_key"] == "********"


def test_conversational_flow_defaults_filled_once_any_field_is_set(make_pal: MakePal) -> None:
    assert "conversational_flow" not in make_pal().get("layers", {})
    flow = make_pal(layers={"conversational_flow": {"turn_taking_patience": "high"}})["layers"][
        "conversational_flow"
    ]
    assert flow == {
        "turn_taking_patience": "high",
        "turn_detection_model": "sparrow-1",
        "face_interruptibility": "medium",
    }


@pytest.mark.parametrize(
    ("engine", "key", "value"),
    [
        (None, "pronunciation_dict_ids", ["dict1"]),
        ("cartesia", "pronunciation_dict_ids", ["dict1"]),
        (
            "elevenlabs",
            "pronunciation_dictionary_locators",
            [{"pronunciation_dictionary_id": "dict1", "version_id": "latest"}],
        ),
        ("azure", "custom_lexicon_ids", ["dict1"]),
    ],
)
def test_pronunciation_dictionary_fills_voice_settings(
    make_pal: MakePal, engine: str | None, key: str, value: Any
) -> None:
    tts: dict[str, Any] = {"pronunciation_dictionary_id": "dict1"}
    if engine:
        tts["tts_engine"] = engine
    settings = make_pal(layers={"tts": tts})["layers"]["tts"]["voice_settings"]
    assert settings == {key: value}


def test_secrets_are_masked_everywhere(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal(
        layers={
            "llm": {"model": "m", "base_url": "https://llm.example/v1", "api_key": "sk-1"},
            "tts": {"api_key": "tts-secret"},
        }
    )
    for doc in (pal, api.get(f"/pals/{pal['pal_id']}").json(), api.get("/pals").json()["data"][0]):
        assert doc["layers"]["llm"]["api_key"] == "********"
        assert doc["layers"]["tts"]["api_key"] == "********"
    assert "sk-1" not in api.get("/pals").text and "tts-secret" not in api.get("/pals").text


def test_masked_value_is_not_a_secret_on_create(api: httpx.Client) -> None:
    body = pal_body(layers={"tts": {"api_key": "********"}})
    assert "layers.tts.api_key" in error_of(api.post("/pals", json=body))


# --- list -----------------------------------------------------------------------------


def test_list_paging_and_filters(api: httpx.Client, make_pal: MakePal) -> None:
    created = [make_pal(pal_name=f"n{i}")["pal_id"] for i in range(12)]
    everything = api.get("/pals", params={"limit": 100}).json()
    assert everything["total_count"] == 12 + STOCK
    first = api.get("/pals").json()
    assert len(first["data"]) == 10 and first["total_count"] == 12 + STOCK
    assert [p["pal_id"] for p in first["data"]] == list(reversed(created))[:10]
    assert api.get("/pals", params={"page": 0}).json() == first
    second = api.get("/pals", params={"page": 2}).json()
    assert len(second["data"]) == 2 + STOCK
    assert api.get("/pals", params={"page": 9}).json() == {"data": [], "total_count": 12 + STOCK}
    users = api.get("/pals", params={"pal_type": "user", "limit": 100}).json()
    assert users["total_count"] == 12 and {p["pal_type"] for p in users["data"]} == {"user"}
    system = api.get("/pals", params={"pal_type": "system"}).json()
    assert system["total_count"] == STOCK and {p["pal_type"] for p in system["data"]} == {"system"}
    legacy = api.get("/personas", params={"persona_type": "system"}).json()
    assert legacy["total_count"] == STOCK and all("persona_id" in p for p in legacy["data"])
    assert "pal_type" in error_of(api.get("/pals", params={"pal_type": "robot"}))
    assert "limit" in error_of(api.get("/pals", params={"limit": "ten"}))


def test_limit_is_capped_at_100(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.seed(pals=[pal_body(pal_name=f"b{i}") for i in range(120)])
    page = api.get("/pals", params={"limit": 500}).json()
    assert len(page["data"]) == 100 and page["total_count"] == 120 + STOCK


# --- legacy vocabulary -----------------------------------------------------------------


def test_legacy_path_vocabulary(api: httpx.Client) -> None:
    body = {
        "persona_name": "Old",
        "system_prompt": "p",
        "default_replica_id": FACE,
        "layers": {"conversational_flow": {"replica_interruptibility": "high"}},
    }
    legacy = api.post("/personas", json=body).json()
    assert legacy["persona_name"] == "Old" and legacy["default_replica_id"] == FACE
    assert legacy["layers"]["conversational_flow"]["replica_interruptibility"] == "high"
    assert not {"pal_id", "pal_name", "default_face_id", "pal_type"} & set(legacy)
    modern = api.get(f"/pals/{legacy['persona_id']}").json()
    assert modern["pal_name"] == "Old" and modern["default_face_id"] == FACE
    assert modern["layers"]["conversational_flow"]["face_interruptibility"] == "high"
    assert not {"persona_id", "persona_name", "default_replica_id"} & set(modern)


def test_either_spelling_on_both_paths(api: httpx.Client) -> None:
    legacy_on_modern = {"persona_name": "A", "system_prompt": "p", "default_replica_id": FACE}
    assert api.post("/pals", json=legacy_on_modern).json()["pal_name"] == "A"
    modern_on_legacy = pal_body(pal_name="B")
    assert api.post("/personas", json=modern_on_legacy).json()["persona_name"] == "B"


def test_a_pal_without_a_face(api: httpx.Client) -> None:
    """Revision 2: the official client creates PALs without a face; conferencing needs one."""
    created = api.post("/pals", json=pal_body(default_face_id=None))
    assert created.status_code == 200, created.text
    assert "default_face_id" not in created.json()
    body = pal_body(default_face_id=None, layers={"conferencing": {"username": "nofacepal"}})
    assert "default_face_id" in error_of(api.post("/pals", json=body))
    pal_id = api.post("/pals", json=pal_body()).json()["pal_id"]
    removed = api.patch(f"/pals/{pal_id}", json=[{"op": "remove", "path": "/default_face_id"}])
    assert removed.status_code == 200 and "default_face_id" not in removed.json()


def test_revision_2_layers_and_fields_round_trip(api: httpx.Client) -> None:
    layers: dict[str, dict[str, Any]] = {
        "llm": {
            "model": "tavus-gemma-4",
            "is_custom": False,
            "model_name": "gemma",
            "endpoint": "chat",
            "disable_vision": True,
        },
        "tts": {"tts_engine": "cartesia", "playht_user_id": "u1"},
        "perception": {"ambient_awareness_queries": ["is it loud?"], "tool_prompt": "t"},
        "conversational_flow": {
            "turn_commitment": "high",
            "active_listening": "on",
            "noise_cancellation": "on",
            "wake_phrase": "hey pal",
            "sleep_phrase": "bye pal",
            "idle_engagement": "gentle",
        },
        "conferencing": {"username": "rev2-pal", "whitelabel": True},
        "sts": {"voice": "calm", "nested": {"any": [1, 2]}},
        "transport": {"transport_type": "livekit"},
        "capabilities": {
            "mcp_enabled": True,
            "search_enabled": False,
            "activity_log_enabled": True,
            "search_results_prompt_injection_prevention_enabled": True,
        },
        "knowledge_base": {
            "rag_score_threshold": 0.4,
            "rag_n_chunks": 5,
            "rag_surrounding_chunk_radius": 1,
            "enable_rag_observability_app_messages": False,
            "use_procedure_goalchain": True,
        },
    }
    created = api.post("/pals", json=pal_body(layers=layers))
    assert created.status_code == 200, created.text
    stored = api.get(f"/pals/{created.json()['pal_id']}").json()["layers"]
    for layer, fields in layers.items():
        for key, value in fields.items():
            assert stored[layer][key] == value, (layer, key)


def test_older_interruptibility_names_are_read_on_every_path(api: httpx.Client) -> None:
    for path, name in (("/pals", "pal_interruptibility"), ("/personas", "pal_interruptibility")):
        body = pal_body(layers={"conversational_flow": {name: "low"}})
        created = api.post(path, json=body).json()
        pal_id = created.get("pal_id") or created["persona_id"]
        flow = api.get(f"/pals/{pal_id}").json()["layers"]["conversational_flow"]
        assert flow["face_interruptibility"] == "low" and name not in flow
    clash = pal_body(
        layers={
            "conversational_flow": {"pal_interruptibility": "low", "face_interruptibility": "high"}
        }
    )
    assert "pal_interruptibility" in error_of(api.post("/pals", json=clash))


def test_server_owned_fields_are_patch_no_ops(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal()
    ops = [
        {"op": "add", "path": "/uuid", "value": "u"},
        {"op": "replace", "path": "/created_at", "value": "1999-01-01T00:00:00Z"},
        {"op": "add", "path": "/is_draft", "value": True},
        {"op": "add", "path": "/pal_url", "value": "https://example.com/p"},
        {"op": "add", "path": "/registration_id", "value": 7},
    ]
    assert api.patch(f"/pals/{pal['pal_id']}", json=ops).status_code == 304
    changed = api.patch(
        f"/pals/{pal['pal_id']}",
        json=[*ops, {"op": "replace", "path": "/pal_name", "value": "Renamed"}],
    )
    assert changed.status_code == 200
    body = changed.json()
    assert body["pal_name"] == "Renamed" and body["created_at"] == pal["created_at"]
    assert not {"uuid", "is_draft", "pal_url", "registration_id"} & set(body)


def test_face_is_optional_on_the_legacy_path(api: httpx.Client) -> None:
    response = api.post("/personas", json={"persona_name": "n", "system_prompt": "p"})
    assert response.status_code == 200
    assert "default_replica_id" not in response.json()


def test_legacy_patch_with_either_vocabulary(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    ops = [
        {"op": "replace", "path": "/persona_name", "value": "X"},
        {"op": "replace", "path": "/default_replica_id", "value": OTHER_FACE},
        {
            "op": "add",
            "path": "/layers/conversational_flow",
            "value": {"replica_interruptibility": "low"},
        },
    ]
    legacy = api.patch(f"/personas/{pal_id}", json=ops)
    assert legacy.status_code == 200, legacy.text
    assert legacy.json()["persona_name"] == "X"
    modern = api.patch(
        f"/pals/{pal_id}",
        json=[
            {"op": "replace", "path": "/persona_name", "value": "Y"},
            {"op": "test", "path": "/pal_name", "value": "Y"},
        ],
    )
    assert modern.status_code == 200 and modern.json()["pal_name"] == "Y"
    assert modern.json()["layers"]["conversational_flow"]["face_interruptibility"] == "low"
