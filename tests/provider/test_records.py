"""Guardrails and objective sets as resources (GuardrailResource, ObjectivesResource), through
the engine stand-in and the SDK's real dynamic-provider server: created once, referred to by
this account's ids, minimal writes, adoption of an identical record, drift on refresh, unknown
ids in the first preview, and deletion."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import UNKNOWN, Engine, ProviderHost
from pulumi.dynamic.dynamic import serialize_provider

from pal_provider.provider import (
    GUARDRAIL_TYPE_TOKEN,
    OBJECTIVES_TYPE_TOKEN,
    GuardrailProvider,
    ObjectivesProvider,
)
from pal_provider.provider.state import PROVIDER_KEY
from tests.provider.test_lifecycle import (
    SMALL_FLEET,
    Project,
    dev_engine,
    get_pal,
    ops,
    preview_ok,
    up_ok,
)

FLEET: dict[str, Any] = {
    **copy.deepcopy(SMALL_FLEET),
    "guardrails": {
        "no-diagnosis": {"guardrail_prompt": "Never diagnose.", "tags": ["health"]},
        "be-kind": {"guardrail_name": "Be kind", "guardrail_prompt": "Stay kind."},
    },
    "objectives": {
        "intake": {
            "data": [
                {
                    "objective_name": "greet",
                    "objective_prompt": "Say hello.",
                    "next_required_objective": "ask",
                },
                {"objective_name": "ask", "objective_prompt": "Ask what they need."},
            ]
        }
    },
}
FLEET["pals"]["alpha"]["palfleet"] = {
    "guardrails": ["no-diagnosis", "be-kind"],
    "objectives": "intake",
}


def _list(emulator: RunningEmulator, path: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{emulator.base_url}{path}", params={"limit": 100}, headers={"x-api-key": emulator.api_key}
    )
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "project")
    project.write_fleet(FLEET)
    return project


@pytest.fixture
def engine(project: Project, emulator: RunningEmulator, tmp_path: Path) -> Engine:
    return dev_engine(project, emulator, tmp_path / "checkpoint.json")


def test_records_are_created_once_and_referred_to_by_id(
    engine: Engine, emulator: RunningEmulator
) -> None:
    preview = preview_ok(engine)  # the records' ids are unknown here: the PAL still checks
    assert ops(preview)["no-diagnosis"] == "create"
    created = up_ok(engine)
    assert {s.type for s in created.steps} >= {GUARDRAIL_TYPE_TOKEN, OBJECTIVES_TYPE_TOKEN}
    guardrails = {g["guardrail_name"]: g for g in _list(emulator, "/guardrails")}
    assert set(guardrails) == {"no-diagnosis", "Be kind"}
    (objectives,) = _list(emulator, "/objectives")
    assert objectives["name"] == "intake"
    alpha = get_pal(emulator, created.outputs["pal_ids"]["alpha"])
    assert sorted(alpha["guardrail_ids"]) == sorted(g["guardrail_id"] for g in guardrails.values())
    assert alpha["objectives_id"] == objectives["objectives_id"]

    emulator.control.clear_requests()
    again = up_ok(engine)
    assert set(ops(again).values()) <= {"same"}
    assert emulator.control.requests().count() == 0, "a no-op up sends nothing"


def test_a_changed_prompt_is_one_patch(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    up_ok(engine)
    changed = copy.deepcopy(FLEET)
    changed["guardrails"]["no-diagnosis"]["guardrail_prompt"] = "Never diagnose anyone."
    changed["objectives"]["intake"]["data"][1]["objective_prompt"] = "Ask gently."
    project.write_fleet(changed)
    emulator.control.clear_requests()
    result = up_ok(engine)
    assert ops(result)["no-diagnosis"] == "update" and ops(result)["intake"] == "update"
    assert ops(result)["alpha"] == "same", "the ids did not change: the PAL is untouched"
    log = emulator.control.requests()
    assert log.count("PATCH", "/v2/guardrails/{id}") == 1
    assert log.count("PATCH", "/v2/objectives/{id}") == 1
    (guardrail,) = [
        g for g in _list(emulator, "/guardrails") if g["guardrail_name"] == "no-diagnosis"
    ]
    assert guardrail["guardrail_prompt"] == "Never diagnose anyone."


def test_an_identical_live_record_is_adopted_not_duplicated(
    engine: Engine, emulator: RunningEmulator
) -> None:
    made = httpx.post(
        f"{emulator.base_url}/guardrails",
        json={"guardrail_name": "Be kind", "guardrail_prompt": "Stay kind."},
        headers={"x-api-key": emulator.api_key},
    )
    made.raise_for_status()
    up_ok(engine)
    kind = [g for g in _list(emulator, "/guardrails") if g["guardrail_name"] == "Be kind"]
    assert [g["guardrail_id"] for g in kind] == [made.json()["guardrail_id"]]


def test_refresh_reports_drift_and_up_reverts_it(engine: Engine, emulator: RunningEmulator) -> None:
    up_ok(engine)
    (guardrail,) = [g for g in _list(emulator, "/guardrails") if g["guardrail_name"] == "Be kind"]
    edit = httpx.patch(
        f"{emulator.base_url}/guardrails/{guardrail['guardrail_id']}",
        json=[{"op": "replace", "path": "/guardrail_prompt", "value": "Edited in the dashboard."}],
        headers={"x-api-key": emulator.api_key},
    )
    edit.raise_for_status()
    refreshed = engine.refresh()
    assert refreshed.ok and ops(refreshed)["be-kind"] == "refresh-changed", refreshed.render()
    reverted = up_ok(engine)
    assert ops(reverted)["be-kind"] == "update"
    (after,) = [g for g in _list(emulator, "/guardrails") if g["guardrail_name"] == "Be kind"]
    assert after["guardrail_prompt"] == "Stay kind."


def test_destroy_removes_the_records(engine: Engine, emulator: RunningEmulator) -> None:
    up_ok(engine)
    destroyed = engine.destroy()
    assert destroyed.ok, destroyed.render()
    assert _list(emulator, "/guardrails") == [] and _list(emulator, "/objectives") == []


def test_check_refuses_a_cycle_before_any_write(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    looping = copy.deepcopy(FLEET)
    looping["objectives"]["intake"]["data"][1]["next_required_objective"] = "greet"
    project.write_fleet(looping)
    emulator.control.clear_requests()
    result = engine.up()
    assert not result.ok and "cycle" in result.render()
    assert emulator.control.requests().count() == 0


# -- unknowns, through the SDK's real dynamic-provider server ---------------------------------

RECORD_SPECS = {
    "Guardrail": {"guardrail_name": "g", "guardrail_prompt": "Be kind."},
    "Objectives": {
        "name": "o",
        "data": [{"objective_name": "greet", "objective_prompt": "Say hello."}],
    },
}


@pytest.mark.parametrize("kind", ["Guardrail", "Objectives"])
@pytest.mark.parametrize(
    "unknown",
    [
        lambda spec: {"spec": UNKNOWN},
        lambda spec: {"spec": {**spec, next(iter(spec)): UNKNOWN}},
        lambda spec: {"settings": UNKNOWN},
    ],
    ids=["the whole spec", "a value of the spec", "the settings"],
)
def test_records_pass_unknowns_through_check_and_diff_calls_them_a_change(
    provider_host: ProviderHost, emulator: RunningEmulator, kind: str, unknown: Any
) -> None:
    provider = GuardrailProvider() if kind == "Guardrail" else ObjectivesProvider()
    spec = RECORD_SPECS[kind]
    urn = f"urn:pulumi:test::palfleet::pulumi-python:dynamic/tavus:{kind}::r"
    props = {
        PROVIDER_KEY: serialize_provider(provider),
        "logical_name": "r",
        "spec": spec,
        "secrets": {},
        "settings": {},
    }
    checked = provider_host.check(urn, {}, props)
    assert checked.failures == []
    created = provider_host.create(urn, checked.inputs)
    news = {**checked.inputs, **unknown(spec)}
    again = provider_host.check(urn, checked.inputs, news)
    diff = provider_host.diff(created.id, urn, created.outputs, news, old_inputs=checked.inputs)
    assert again.failures == [] and again.inputs == news
    assert diff.changes == "some"


def test_a_known_error_next_to_an_unknown_is_reported(
    provider_host: ProviderHost, emulator: RunningEmulator
) -> None:
    urn = "urn:pulumi:test::palfleet::pulumi-python:dynamic/tavus:Objectives::r"
    props = {
        PROVIDER_KEY: serialize_provider(ObjectivesProvider()),
        "logical_name": "r",
        "spec": {
            "name": UNKNOWN,
            "data": [
                {"objective_name": "a", "objective_prompt": "p", "next_required_objective": "z"}
            ],
        },
        "secrets": {},
        "settings": {},
    }
    checked = provider_host.check(urn, {}, props)
    assert [f.reason for f in checked.failures if "'z'" in f.reason], checked.failures
