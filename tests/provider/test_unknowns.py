"""Check and Diff with values the engine does not know yet, as a preview sends them.

The engine marshals an unknown as the sentinel string ``rpc.UNKNOWN``; the SDK's
dynamic-provider server turns it into ``pulumi.output.Unknown`` before calling the provider
(``deserialize_properties(..., keep_unknowns=True)``). These tests go through that real server.
"""

from __future__ import annotations

from typing import Any

import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import UNKNOWN, ProviderHost
from pulumi.dynamic.dynamic import serialize_provider

from pal_provider.provider.state import PROVIDER_KEY
from pal_provider.provider.tool import TOOL_TYPE_TOKEN, ToolProvider
from tests.provider.conftest import pal_props, pal_spec, provision, urn

TOOL_ID = "t0123456789ab"


@pytest.mark.parametrize(
    ("where", "unknown"),
    [
        ("one attached tool id", {"attached_tool_ids": [TOOL_ID, UNKNOWN]}),
        ("every attached tool id", {"attached_tool_ids": [UNKNOWN, UNKNOWN]}),
        ("the whole list", {"attached_tool_ids": UNKNOWN}),
        ("a value inside the spec", {"spec": pal_spec("Unknowns", greeting=UNKNOWN)}),
        ("a layer of the spec", {"spec": {**pal_spec("Unknowns"), "layers": UNKNOWN}}),
        ("the whole spec", {"spec": UNKNOWN}),
        ("a secret value", {"secrets": {"/layers/tts/api_key": UNKNOWN}}),
        ("the whole secrets map", {"secrets": UNKNOWN}),
        ("the API base URL", {"settings": {"api_base_url": UNKNOWN}}),
        ("the whole settings", {"settings": UNKNOWN}),
    ],
)
def test_check_passes_unknowns_through_and_diff_calls_them_a_change(
    provider_host: ProviderHost,
    provider_blob: str,
    pal_emulator: RunningEmulator,
    where: str,
    unknown: dict[str, Any],
) -> None:
    name = "unknowns"
    inputs, created = provision(provider_host, pal_props(provider_blob, name))
    news = {**inputs, **unknown}

    checked = provider_host.check(urn(name), inputs, news)
    diff = provider_host.diff(created.id, urn(name), created.outputs, news, old_inputs=inputs)

    assert checked.failures == [], where
    assert checked.inputs == news, "the inputs come back untouched, unknowns included"
    assert diff.changes == "some" and diff.replaces == []


def test_check_of_a_first_deployment_with_unknown_tool_ids_validates_the_rest(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    good = pal_props(provider_blob, "first", attached_tool_ids=[UNKNOWN])
    bad = pal_props(
        provider_blob,
        "first",
        attached_tool_ids=[UNKNOWN, 42],
        spec=pal_spec("First", layers={"llm": {"model": "tavus-llama"}}),
    )

    assert provider_host.check(urn("first"), {}, good).failures == []
    failures = {f.property: f.reason for f in provider_host.check(urn("first"), {}, bad).failures}
    assert "spec.layers.llm.model" in failures, "what is known is still validated"
    assert any(path.startswith("attached_tool_ids") for path in failures)


def test_an_unknown_next_to_a_known_error_reports_only_the_known_error(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    spec = pal_spec("Mixed", greeting=UNKNOWN)
    spec["layers"]["llm"] = {"model": "tavus-llama"}
    checked = provider_host.check(urn("mixed"), {}, pal_props(provider_blob, "mixed", spec=spec))
    assert [f.property for f in checked.failures] == ["spec.layers.llm.model"]


def test_diff_never_raises_on_a_state_it_cannot_read(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "odd-state"))
    broken = {**created.outputs, "spec": "not an object", "attached_tool_ids": 7}

    diff = provider_host.diff(created.id, urn("odd-state"), broken, inputs, old_inputs=inputs)

    assert diff.changes == "some"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("api_key_config", "palfleet:otherKey"),
        ("adopt_id", "p0123456789a"),
        ("force_maker_overwrite", True),
        ("migrated_tool_names", ["legacy_tool"]),
    ],
)
def test_a_changed_setting_is_a_change_that_rewrites_outputs_without_a_request(
    provider_host: ProviderHost,
    provider_blob: str,
    pal_emulator: RunningEmulator,
    setting: str,
    value: Any,
) -> None:
    name = "settings"
    inputs, created = provision(provider_host, pal_props(provider_blob, name))
    news = {**inputs, "settings": {**inputs["settings"], setting: value}}
    pal_emulator.control.clear_requests()

    diff = provider_host.diff(created.id, urn(name), created.outputs, news, old_inputs=inputs)
    outputs = provider_host.update(created.id, urn(name), created.outputs, news, old_inputs=inputs)

    assert diff.changes == "some"
    assert outputs["settings"][setting] == value and outputs["pal_id"] == created.id
    assert pal_emulator.control.requests().count() == 0


# -- ToolResource --------------------------------------------------------------------------------

LOG_MOOD: dict[str, Any] = {
    "name": "log_mood",
    "description": "Record the mood the user reports.",
    "parameters": {"type": "object", "properties": {"mood": {"type": "integer"}}},
    "on_resolve": "add_to_context",
    "delivery": {"app_message": True},
}


def tool_urn(name: str) -> str:
    return f"urn:pulumi:test::palfleet::{TOOL_TYPE_TOKEN}::{name}"


@pytest.mark.parametrize(
    "unknown",
    [
        {"spec": {**LOG_MOOD, "description": UNKNOWN}},
        {"spec": UNKNOWN},
        {"secrets": UNKNOWN},
        {"settings": {"api_base_url": UNKNOWN}},
    ],
)
def test_tool_check_and_diff_handle_unknowns(
    provider_host: ProviderHost, pal_emulator: RunningEmulator, unknown: dict[str, Any]
) -> None:
    blob = serialize_provider(ToolProvider())
    props = {PROVIDER_KEY: blob, "logical_name": "log_mood", "spec": LOG_MOOD, "secrets": {}}
    checked = provider_host.check(tool_urn("log_mood"), {}, props)
    assert checked.failures == []
    created = provider_host.create(tool_urn("log_mood"), checked.inputs)
    news = {**checked.inputs, **unknown}

    again = provider_host.check(tool_urn("log_mood"), checked.inputs, news)
    diff = provider_host.diff(
        created.id, tool_urn("log_mood"), created.outputs, news, old_inputs=checked.inputs
    )

    assert again.failures == [] and again.inputs == news
    assert diff.changes == "some"
    provider_host.delete(created.id, tool_urn("log_mood"), created.outputs)
