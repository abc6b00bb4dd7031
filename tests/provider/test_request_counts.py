"""How many API requests each engine step costs, counted in the emulator's request log."""

from __future__ import annotations

from pal_emulator.control import RequestLog
from pal_emulator.testing import RunningEmulator
from pal_engine import ProviderHost

from tests.provider.conftest import live_pal, pal_props, pal_spec, provision, urn

PALS = "/v2/pals"
ONE_PAL = "/v2/pals/{id}"


def api_calls(log: RequestLog) -> dict[str, int]:
    return {key: n for key, n in log.by_template().items() if " /v2" in key}


def test_a_create_is_one_post(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    """The first create of a provider process also lists the account once (leftovers of
    interrupted runs, see leftovers.py); later ones send the POST alone."""
    provision(provider_host, pal_props(provider_blob, "counted-create"))
    pal_emulator.control.clear_requests()

    provision(provider_host, pal_props(provider_blob, "counted-create-2"))

    assert api_calls(pal_emulator.control.requests()) == {f"POST {PALS}": 1}


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


def test_a_one_field_update_is_one_guarded_patch(
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
    assert api_calls(log) == {f"PATCH {ONE_PAL}": 1}
    assert [e.status for e in log.writes()] == [200]


def test_an_update_of_a_pal_edited_since_reads_it_and_patches_again(
    provider_host: ProviderHost, provider_blob: str, pal_emulator: RunningEmulator
) -> None:
    """The guard refuses the whole PATCH (422, nothing applied); then GET + PATCH."""
    inputs, created = provision(provider_host, pal_props(provider_blob, "edited"))
    pal_emulator.control.edit_pal(created.id, {"system_prompt": "Edited in the dashboard."})
    news = pal_props(provider_blob, "edited", spec=pal_spec("edited", system_prompt="Be kind."))
    pal_emulator.control.clear_requests()

    provider_host.update(created.id, urn("edited"), created.outputs, news, old_inputs=inputs)

    log = pal_emulator.control.requests()
    calls = [(e.method, e.path_template, e.status) for e in log.entries]
    assert calls == [
        ("PATCH", ONE_PAL, 422),
        ("GET", ONE_PAL, 200),
        ("PATCH", ONE_PAL, 200),
    ]
    assert live_pal(pal_emulator, created.id)["system_prompt"] == "Be kind."


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
