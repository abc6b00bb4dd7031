"""How many API requests each engine step costs, counted in the emulator's request log."""

from __future__ import annotations

from pal_emulator.control import RequestLog
from pal_emulator.testing import RunningEmulator
from pal_engine import ProviderHost

from tests.provider.conftest import pal_props, pal_spec, provision, urn

PALS = "/v2/pals"
ONE_PAL = "/v2/pals/{id}"


def api_calls(log: RequestLog) -> dict[str, int]:
    return {key: n for key, n in log.by_template().items() if " /v2" in key}


def test_a_create_is_one_post_and_at_most_one_get(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    provision(provider_host, pal_props(provider_blob, "counted-create"))

    log = pal_emulator.control.requests()
    assert log.count("POST", PALS) == 1
    assert log.count("GET", ONE_PAL) <= 1
    assert log.count() == log.count("POST", PALS) + log.count("GET", ONE_PAL)


def test_a_no_op_up_makes_no_request(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "no-op"))
    pal_emulator.control.clear_requests()

    checked = provider_host.check(urn("no-op"), inputs, pal_props(provider_blob, "no-op"))
    diff = provider_host.diff(
        created.id, urn("no-op"), created.outputs, checked.inputs, old_inputs=inputs
    )

    assert diff.changes == "none"
    assert api_calls(pal_emulator.control.requests()) == {}


def test_a_one_field_update_is_one_patch_and_at_most_one_get(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    inputs, created = provision(provider_host, pal_props(provider_blob, "one-field"))
    news = pal_props(provider_blob, "one-field", spec=pal_spec("one-field", greeting="Hi!"))
    pal_emulator.control.clear_requests()

    checked = provider_host.check(urn("one-field"), inputs, news)
    diff = provider_host.diff(
        created.id, urn("one-field"), created.outputs, checked.inputs, old_inputs=inputs
    )
    provider_host.update(
        created.id, urn("one-field"), created.outputs, checked.inputs, old_inputs=inputs
    )

    log = pal_emulator.control.requests()
    assert diff.changes == "some"
    assert log.count("PATCH", ONE_PAL) == 1
    assert log.count("GET", ONE_PAL) <= 1
    assert log.count() == log.count("PATCH", ONE_PAL) + log.count("GET", ONE_PAL)
    assert [e.status for e in log.writes()] == [200]


def test_a_refresh_of_unchanged_pals_is_one_get_each_and_no_write(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    names = [f"refreshed-{index}" for index in range(5)]
    fleet = {name: provision(provider_host, pal_props(provider_blob, name)) for name in names}
    pal_emulator.control.clear_requests()

    reads = {
        name: provider_host.read(created.id, urn(name), created.outputs, inputs)
        for name, (inputs, created) in fleet.items()
    }

    log = pal_emulator.control.requests()
    assert api_calls(log) == {f"GET {ONE_PAL}": len(names)}
    assert log.writes() == []
    assert all(read.inputs == fleet[name][0] for name, read in reads.items())
    assert all(read.id == fleet[name][1].id for name, read in reads.items())
