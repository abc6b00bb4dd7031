"""Fixtures for driving the PAL provider through the real dynamic provider server.

One ``python -m pulumi.dynamic`` server serves the session, configured as a stack would be
(``palfleet:tavusApiKey`` + ``palfleet:apiBaseUrl`` pointing at the session emulator). Tests
send it exactly what the engine sends: props as ``PalResource`` builds them (None-valued
inputs dropped, as the SDK does) plus the ``__provider`` blob.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pal_emulator.process import EmulatorProcess
from pal_emulator.testing import RunningEmulator
from pal_engine import CreateOutcome, ProviderHost
from pulumi.dynamic.dynamic import serialize_provider

from pal_provider.provider.pal import PAL_TYPE_TOKEN, PalProvider
from pal_provider.provider.state import PROVIDER_KEY
from tests.conftest import REPO_ROOT

PROJECT = "palfleet"
FACE_ID = "rc0ffee0face"
TTS_POINTER = "/layers/tts/api_key"
TTS_SECRET = "tts-secret-planted-7f3a"


def urn(name: str) -> str:
    return f"urn:pulumi:test::{PROJECT}::{PAL_TYPE_TOKEN}::{name}"


def pal_spec(name: str, **fields: Any) -> dict[str, Any]:
    """A valid full-pipeline PAL body with its TTS key as a secret marker; ``fields`` override."""
    spec: dict[str, Any] = {
        "pal_name": name,
        "system_prompt": f"You are {name}. Answer briefly.",
        "pipeline_mode": "full",
        "default_face_id": FACE_ID,
        "layers": {
            "llm": {"model": "tavus-glm-4.7"},
            "tts": {"tts_engine": "cartesia", "api_key": {"$secret": "palfleet:ttsApiKey"}},
        },
    }
    spec.update(fields)
    return spec


def pal_props(
    blob: str,
    name: str,
    *,
    spec: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    attached_tool_ids: Any = None,
    **settings: Any,
) -> dict[str, Any]:
    """What the engine sends for a ``PalResource``: its inputs without None values, plus the
    blob; keyword arguments are its settings (``api_base_url``, ``adopt_id``, ...)."""
    props: dict[str, Any] = {
        PROVIDER_KEY: blob,
        "logical_name": name,
        "spec": pal_spec(name) if spec is None else spec,
        "secrets": {TTS_POINTER: TTS_SECRET} if secrets is None else secrets,
        "settings": {"force_maker_overwrite": False, **settings},
        "attached_tool_ids": attached_tool_ids,
    }
    return {key: value for key, value in props.items() if value is not None}


def provision(host: ProviderHost, props: dict[str, Any]) -> tuple[dict[str, Any], CreateOutcome]:
    """Check + Create as the engine does; returns (checked inputs, create outcome)."""
    name = str(props["logical_name"])
    checked = host.check(urn(name), {}, props)
    assert checked.failures == []
    return checked.inputs, host.create(urn(name), checked.inputs)


@pytest.fixture(scope="session")
def provider_blob() -> str:
    blob: str = serialize_provider(PalProvider())
    return blob


@pytest.fixture(scope="session")
def provider_host(emulator_server: EmulatorProcess) -> Iterator[ProviderHost]:
    config = {
        "palfleet:tavusApiKey": emulator_server.api_key,
        "palfleet:apiBaseUrl": emulator_server.base_url,
    }
    with ProviderHost(
        REPO_ROOT, PROJECT, config, secret_values=[emulator_server.api_key, TTS_SECRET]
    ) as host:
        yield host


@pytest.fixture
def pal_emulator(emulator: RunningEmulator) -> RunningEmulator:
    """The freshly reset session emulator, with the face the PALs use and an empty request log."""
    emulator.control.seed(faces=[{"face_id": FACE_ID, "face_name": "Provider tests"}])
    emulator.control.clear_requests()
    return emulator


def live_pal(emulator: RunningEmulator, pal_id: str) -> dict[str, Any]:
    response = httpx.get(f"{emulator.base_url}/pals/{pal_id}", headers=emulator.headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
