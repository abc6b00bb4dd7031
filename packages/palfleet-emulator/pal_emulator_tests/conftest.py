"""Shared helpers for the emulator tests: an authenticated client and PAL/tool factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

# The package's own pytest fixtures (a session emulator on 127.0.0.1, reset per test), so these
# tests also run on their own: `pytest packages/palfleet-emulator`.
from pal_emulator.testing import (
    RunningEmulator,
    emulator,
    emulator_server,
    start_emulator_process,
)

FACE = "rf4703150052"
OTHER_FACE = "r92debe21318"


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers, timeout=30) as client:
        yield client


def pal_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pal_name": "Support",
        "system_prompt": "You help customers.",
        "default_face_id": FACE,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def tool_body(name: str = "lookup_order", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "description": "Look up an order by its number.",
        "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_pal(api: httpx.Client) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        response = api.post("/pals", json=pal_body(**overrides))
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def make_tool(api: httpx.Client) -> Callable[..., dict[str, Any]]:
    def make(name: str = "lookup_order", **overrides: Any) -> dict[str, Any]:
        response = api.post("/tools", json=tool_body(name, **overrides))
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 400, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    message: str = body["error"]
    return message
