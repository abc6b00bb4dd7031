from __future__ import annotations

import pytest

from pal_provider.declaration import (
    FleetDeclaration,
    ResolutionError,
    ResolvedFleet,
    resolve_fleet,
)

FLEET = {
    "bindings": {
        "api_base_url": "https://tavusapi.com/v2",
        "api_key": {"secret": "tavus-key"},
        "faces": {"coach": "r1c0ac4e5a01"},
        "llm_endpoints": {
            "story-llm": {
                "base_url": "https://x.openai.azure.com/openai/deployments/gpt-4o",
                "api_key": {"secret": "story-key"},
                "headers": {"X-Env": "staging", "X-Team": "kids"},
                "default_query": {"api-version": "2024-10-21"},
            }
        },
        "secrets": {"tavus-key": "palfleet:tavusApiKeyStaging", "story-key": "palfleet:storyKey"},
        "adopt_ids": {"storyteller": "p0123456789a"},
    },
    "defaults": {
        "layers": {"llm": {"model": "tavus-glm-4.7"}, "tts": {"tts_engine": "cartesia"}},
        "palfleet": {"migrate_inline_tools": True},
    },
    "pals": {
        "zeta-coach": {
            "face": "coach",
            "system_prompt": "Coach.",
            "layers": {"tts": {"api_key": {"secret": "palfleet:ttsKey"}}},
            "palfleet": {"tools": ["log_mood"], "force_maker_overwrite": True},
        },
        "storyteller": {
            "pal_name": "Story Time",
            "default_face_id": "r2a77e11e402",
            "system_prompt": "Tell stories.",
            "layers": {
                "llm": {
                    "endpoint": "story-llm",
                    "model": "gpt-4o",
                    "headers": {"X-Team": "stories"},
                }
            },
        },
    },
    "tools": {
        "log_mood": {
            "description": "Log mood.",
            "delivery": {
                "api": {
                    "url": "https://hooks.example.com/m",
                    "timeout": 10,
                    "auth": {
                        "type": "basic",
                        "username": "bot",
                        "password": {"secret": "palfleet:hookPw"},
                    },
                }
            },
        }
    },
}


@pytest.fixture()
def resolved() -> ResolvedFleet:
    return resolve_fleet(FleetDeclaration.model_validate(FLEET), "staging")


def test_fleet_level_fields(resolved: ResolvedFleet) -> None:
    assert resolved.stack == "staging"
    assert resolved.api_base_url == "https://tavusapi.com/v2"
    assert resolved.api_key_config_key == "palfleet:tavusApiKeyStaging"
    assert list(resolved.pals) == ["storyteller", "zeta-coach"], "sorted by logical name"


def test_pal_body_is_api_shaped(resolved: ResolvedFleet) -> None:
    coach = resolved.pals["zeta-coach"]
    assert coach.logical_name == "zeta-coach"
    assert coach.body == {
        "pal_name": "zeta-coach",
        "system_prompt": "Coach.",
        "default_face_id": "r1c0ac4e5a01",
        "layers": {
            "llm": {"model": "tavus-glm-4.7"},
            "tts": {"tts_engine": "cartesia", "api_key": {"$secret": "palfleet:ttsKey"}},
        },
    }
    assert coach.force is True
    assert coach.migrate_inline_tools is True
    assert coach.tool_names == ["log_mood"]
    assert coach.adopt_id is None


def test_endpoint_binding_is_substituted(resolved: ResolvedFleet) -> None:
    story = resolved.pals["storyteller"]
    llm = story.body["layers"]["llm"]
    assert "endpoint" not in llm
    assert llm["base_url"] == "https://x.openai.azure.com/openai/deployments/gpt-4o"
    assert llm["api_key"] == {"$secret": "palfleet:storyKey"}
    assert llm["headers"] == {"X-Env": "staging", "X-Team": "stories"}, "PAL headers win"
    assert llm["default_query"] == {"api-version": "2024-10-21"}
    assert story.body["pal_name"] == "Story Time"
    assert story.body["default_face_id"] == "r2a77e11e402"
    assert story.adopt_id == "p0123456789a"
    assert "palfleet" not in story.body and "face" not in story.body


def test_tool_body(resolved: ResolvedFleet) -> None:
    tool = resolved.tools["log_mood"]
    assert tool.name == "log_mood"
    assert tool.body["name"] == "log_mood"
    api = tool.body["delivery"]["api"]
    assert api["timeout"] == 10 and isinstance(api["timeout"], int)
    assert api["auth"] == {
        "type": "basic",
        "username": "bot",
        "password": {"$secret": "palfleet:hookPw"},
    }


def test_unbound_face_raises_resolution_error() -> None:
    broken = {**FLEET, "pals": {"x": {"face": "nobody", "system_prompt": "s"}}}
    with pytest.raises(ResolutionError, match="nobody"):
        resolve_fleet(FleetDeclaration.model_validate(broken), "dev")
