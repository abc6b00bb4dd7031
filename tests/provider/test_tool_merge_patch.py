"""The merge PATCH of a registry tool: only differing fields, secrets only when changed."""

from __future__ import annotations

from typing import Any

from pal_provider.provider.tool_reconcile import changed_tool_secrets, merge_patch, spec_from_live
from pal_provider.provider.tool_state import ToolInputs

POINTER = "/delivery/api/auth/token"
SPEC: dict[str, Any] = {
    "name": "hook",
    "description": "Book it.",
    "delivery": {
        "api": {
            "url": "https://hooks.example.com/x",
            "auth": {"type": "bearer", "token": {"$secret": "palfleet:hookToken"}},
        }
    },
}
LIVE: dict[str, Any] = {
    "tool_id": "t123",
    "name": "hook",
    "description": "Book it.",
    "parameters": {},
    "origin": "llm",
    "trigger_type": "in_call",
    "on_resolve": "fire_and_forget",
    "tags": [],
    "delivery": {
        "api": {
            "url": "https://hooks.example.com/x",
            "method": "POST",
            "timeout": 10,
            "auth": {"type": "bearer", "token": "********"},
        }
    },
}


def inputs(token: str, **changes: Any) -> ToolInputs:
    return ToolInputs(logical_name="hook", spec={**SPEC, **changes}, secrets={POINTER: token})


def test_the_masked_echo_equals_the_declaration() -> None:
    assert merge_patch(LIVE, inputs("a").body(), set()) == {}


def test_an_unchanged_secret_is_never_sent_even_when_delivery_changes() -> None:
    new = inputs("a")
    new.spec["delivery"] = {"api": {**SPEC["delivery"]["api"], "url": "https://h.example.com/y"}}
    fields = merge_patch(LIVE, new.body(), changed_tool_secrets(inputs("a"), new))
    assert fields["delivery"]["api"]["url"] == "https://h.example.com/y"
    assert "token" not in fields["delivery"]["api"]["auth"]
    assert "********" not in str(fields)


def test_a_changed_secret_is_sent() -> None:
    old, new = inputs("a"), inputs("b")
    assert changed_tool_secrets(old, new) == {"token"}
    fields = merge_patch(LIVE, new.body(), changed_tool_secrets(old, new))
    assert fields == {"delivery": new.body()["delivery"]}
    assert fields["delivery"]["api"]["auth"]["token"] == "b"


def test_a_dropped_field_is_sent_as_null_so_the_server_restores_its_default() -> None:
    live = {**LIVE, "tags": ["x"], "on_call": "silent"}
    assert merge_patch(live, inputs("a").body(), set()) == {"tags": None, "on_call": None}


def test_refresh_keeps_the_declared_reference_behind_the_mask() -> None:
    assert spec_from_live(LIVE, SPEC) is SPEC
    drifted = {**LIVE, "description": "edited"}
    spec = spec_from_live(drifted, SPEC)
    assert spec["description"] == "edited"
    assert spec["delivery"]["api"]["auth"]["token"] == {"$secret": "palfleet:hookToken"}
