"""The PAL provider behind the real dynamic provider server, driven over gRPC as the engine does."""

from __future__ import annotations

import base64
import threading
from typing import Any

import dill
import httpx
import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import ProviderError, ProviderHost
from pulumi.dynamic.dynamic import serialize_provider

from pal_provider.api import PalClient
from pal_provider.provider.pal import PalProvider
from pal_provider.provider.state import PROVIDER_KEY
from tests.conftest import REPO_ROOT
from tests.provider.conftest import (
    PROJECT,
    TTS_POINTER,
    TTS_SECRET,
    live_pal,
    pal_props,
    pal_spec,
    provision,
    urn,
)

PLANTED_API_KEY = "tavus-key-planted-in-the-environment-91c2"


# -- check -------------------------------------------------------------------------------------


def _failures(host: ProviderHost, props: dict[str, Any]) -> list[tuple[str, str]]:
    outcome = host.check(urn(str(props["logical_name"])), {}, props)
    return [(failure.property, failure.reason) for failure in outcome.failures]


def test_check_accepts_a_valid_pal_and_returns_its_inputs(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    props = pal_props(provider_blob, "valid")

    outcome = provider_host.check(urn("valid"), {}, props)

    assert outcome.failures == []
    assert outcome.inputs == props


def test_check_reports_an_unknown_model_at_its_field_path(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    spec = pal_spec("bad-model")
    spec["layers"]["llm"]["model"] = "gpt-nonexistent"

    failures = _failures(provider_host, pal_props(provider_blob, "bad-model", spec=spec))

    assert [path for path, _ in failures] == ["spec.layers.llm.model"]
    assert "gpt-nonexistent" in failures[0][1] and "tavus-glm-4.7" in failures[0][1]


def test_check_reports_an_unknown_input_instead_of_ignoring_it(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    props = {**pal_props(provider_blob, "extra"), "colour": "red"}

    failures = _failures(provider_host, props)

    assert [path for path, _ in failures] == ["colour"]
    assert "unknown input" in failures[0][1] and "spec" in failures[0][1]


def test_check_reports_a_missing_system_prompt_in_full_mode(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    spec = pal_spec("no-prompt")
    del spec["system_prompt"]

    failures = _failures(provider_host, pal_props(provider_blob, "no-prompt", spec=spec))

    assert [path for path, _ in failures] == ["spec.system_prompt"]
    assert "full" in failures[0][1]


def test_check_reports_a_secret_marker_without_a_value(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    failures = _failures(provider_host, pal_props(provider_blob, "no-secret", secrets={}))

    assert [path for path, _ in failures] == ["spec.layers.tts.api_key"]
    assert "pulumi config set --secret" in failures[0][1]


def test_check_reports_a_malformed_input_instead_of_raising(
    provider_host: ProviderHost, provider_blob: str
) -> None:
    props = {**pal_props(provider_blob, "not-a-spec"), "spec": "a string"}

    assert [path for path, _ in _failures(provider_host, props)] == ["spec"]


# -- diff --------------------------------------------------------------------------------------


def test_diff_ignores_a_different_provider_blob(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "blob-swap"))
    relabelled = PalProvider()
    relabelled.__dict__["release"] = "next"  # a distinct blob that still unpickles to PalProvider
    other_blob = serialize_provider(relabelled)
    news = {**inputs, PROVIDER_KEY: other_blob}

    same = provider_host.diff(created.id, urn("blob-swap"), created.outputs, news)
    reserialized = provider_host.diff(
        created.id,
        urn("blob-swap"),
        created.outputs,
        {**inputs, PROVIDER_KEY: serialize_provider(PalProvider())},
    )
    changed = provider_host.diff(
        created.id,
        urn("blob-swap"),
        created.outputs,
        {**news, "spec": pal_spec("blob-swap", greeting="Hello there!")},
    )

    assert other_blob != provider_blob
    assert (same.changes, reserialized.changes, changed.changes) == ("none", "none", "some")
    assert changed.replaces == []


# -- create / update / read / delete -----------------------------------------------------------


def test_create_returns_the_id_and_every_input_mirrored(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "mirrored"))

    assert created.outputs["pal_id"] == created.id and created.id.startswith("p")
    assert {key: created.outputs.get(key) for key in inputs} == inputs
    assert created.outputs["secrets"] == {TTS_POINTER: TTS_SECRET}
    assert created.outputs["created_at"]
    assert live_pal(pal_emulator, created.id)["pal_name"] == "mirrored"


def test_a_state_written_before_settings_were_grouped_reads_as_unchanged(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    """Stacks written by earlier palfleet versions keep the settings at the top level."""
    inputs, created = provision(
        provider_host, pal_props(provider_blob, "legacy", api_base_url=pal_emulator.base_url)
    )
    flat = {key: value for key, value in created.outputs.items() if key != "settings"}
    legacy_outputs = {**flat, **created.outputs["settings"]}
    legacy_inputs = {key: value for key, value in inputs.items() if key != "settings"}
    legacy_inputs.update(inputs["settings"])
    pal_emulator.control.clear_requests()

    diff = provider_host.diff(
        created.id, urn("legacy"), legacy_outputs, inputs, old_inputs=legacy_inputs
    )
    refreshed = provider_host.read(created.id, urn("legacy"), legacy_outputs, legacy_inputs)

    assert diff.changes == "none"
    assert refreshed.outputs is not None and refreshed.outputs["settings"] == inputs["settings"]
    assert pal_emulator.control.requests().count() == 1  # the refresh's GET


def test_update_applies_the_change_and_returns_full_outputs(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "updated"))
    news = {**inputs, "spec": pal_spec("updated", greeting="Welcome back!")}

    outputs = provider_host.update(
        created.id, urn("updated"), created.outputs, news, old_inputs=inputs
    )

    assert {key: outputs.get(key) for key in news} == news
    assert outputs["pal_id"] == created.id and outputs["created_at"]
    assert live_pal(pal_emulator, created.id)["greeting"] == "Welcome back!"


def test_read_of_an_unchanged_pal_returns_the_previous_inputs(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "steady"))

    read = provider_host.read(created.id, urn("steady"), created.outputs, inputs)

    assert read.id == created.id
    assert read.inputs == inputs
    assert read.outputs == created.outputs


def test_read_of_a_pal_deleted_out_of_band_returns_an_empty_id(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "vanished"))
    pal_emulator.control.delete_pal(created.id)

    read = provider_host.read(created.id, urn("vanished"), created.outputs, inputs)

    assert read.id == ""


def test_an_update_of_a_pal_deleted_out_of_band_says_so(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "gone"))
    pal_emulator.control.delete_pal(created.id)
    news = pal_props(provider_blob, "gone", spec=pal_spec("gone", system_prompt="Be kind."))

    with pytest.raises(ProviderError) as caught:
        provider_host.update(created.id, urn("gone"), created.outputs, news, old_inputs=inputs)

    assert "deleted outside Pulumi" in str(caught.value)
    assert "pulumi refresh" in str(caught.value)


def test_delete_of_an_already_deleted_pal_succeeds(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "twice"))

    provider_host.delete(created.id, urn("twice"), created.outputs, old_inputs=inputs)
    provider_host.delete(created.id, urn("twice"), created.outputs, old_inputs=inputs)

    log = pal_emulator.control.requests()
    deletes = [entry.status for entry in log.entries if entry.method == "DELETE"]
    assert deletes == [204, 400]  # the second one is the API's "not found"


# -- secrets -----------------------------------------------------------------------------------


def test_a_changed_secret_is_diffed_and_patched(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "rotated"))
    news = {**inputs, "secrets": {TTS_POINTER: "tts-secret-rotated-0b9e"}}
    pal_emulator.control.clear_requests()

    unchanged = provider_host.diff(created.id, urn("rotated"), created.outputs, inputs)
    rotated = provider_host.diff(created.id, urn("rotated"), created.outputs, news)
    outputs = provider_host.update(
        created.id, urn("rotated"), created.outputs, news, old_inputs=inputs
    )

    assert (unchanged.changes, rotated.changes) == ("none", "some")
    assert outputs["secrets"] == {TTS_POINTER: "tts-secret-rotated-0b9e"}
    patches = [e for e in pal_emulator.control.requests().entries if e.method == "PATCH"]
    # 200, not 304: the emulator stored a different TTS key than before.
    assert [(e.path, e.status) for e in patches] == [(f"/v2/pals/{created.id}", 200)]
    assert live_pal(pal_emulator, created.id)["layers"]["tts"]["api_key"] == "********"


def _walk(value: Any, seen: set[int] | None = None) -> list[Any]:
    """Every object reachable from ``value`` through containers and instance ``__dict__``s."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    found = [value]
    children: list[Any] = []
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        children = [vars(value)]
    for child in children:
        found.extend(_walk(child, seen))
    return found


def test_the_provider_blob_carries_no_client_lock_socket_or_secret(
    provider_host: ProviderHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAVUS_API_KEY", PLANTED_API_KEY)
    blob = serialize_provider(PalProvider())

    raw = base64.b64decode(blob)
    provider = dill.loads(raw)
    reachable = _walk(provider)

    assert type(provider) is PalProvider
    forbidden = (PalClient, httpx.Client, type(threading.Lock()), type(threading.RLock()))
    assert not [obj for obj in reachable if isinstance(obj, forbidden)]
    assert not [obj for obj in reachable if type(obj).__module__ == "socket"]
    for secret in (PLANTED_API_KEY, TTS_SECRET, "test-key"):
        assert secret.encode() not in raw
        assert not [obj for obj in reachable if isinstance(obj, str) and secret in obj]


def test_credentials_come_from_the_server_configuration(
    provider_blob: str, pal_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same blob fails with another server's configuration: the key is not in the blob."""
    wrong_key = "wrong-key-configured-on-this-server-5d1e"
    monkeypatch.delenv("TAVUS_API_KEY", raising=False)
    config = {"palfleet:tavusApiKey": wrong_key, "palfleet:apiBaseUrl": pal_emulator.base_url}
    props = pal_props(provider_blob, "wrong-key")

    with ProviderHost(REPO_ROOT, PROJECT, config) as host, pytest.raises(ProviderError) as caught:
        host.create(urn("wrong-key"), props)

    error = caught.value
    assert error.method == "Create"
    assert "create failed" in error.reason and "401" in error.reason
    assert wrong_key not in error.details and TTS_SECRET not in error.details
    # The account was reached with the server's key (and refused it) before anything was posted.
    assert pal_emulator.control.requests().count("GET", "/v2/pals") == 1
    assert pal_emulator.control.requests().count("POST", "/v2/pals") == 0
    # One line for the user: no traceback, no file path, no Python exception class.
    assert error.details.count("\n") <= 1 and ".py" not in error.details
    assert "Error" not in error.details.split(":")[0] and error.details.startswith("palfleet: ")
