"""`pulumi up` lifecycle of PalResource, acceptance style.

The Pulumi engine stand-in runs the real `__main__.py` under the SDK's mocks and forwards
every registration over gRPC to the SDK's dynamic-provider server (`python -m
pulumi.dynamic`), which runs our provider against the emulator. Requests are counted in
the emulator's log.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import Engine, ProviderHost, RunResult
from ruamel.yaml import YAML

from pal_provider.provider.pal import PAL_TYPE_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK = "dev"
FACE = "r1c0ac4e5a01"
SECRETS = {
    "palfleet:storyLlmApiKey": "sk-story-planted-0001",
    "palfleet:elevenlabsApiKey": "el-planted-0002",
    "palfleet:followUpHookToken": "hook-planted-0004",
}

SMALL_FLEET: dict[str, Any] = {
    "version": 1,
    "bindings": {
        "api_base_url": "http://127.0.0.1:9/v2",  # overridden by palfleet:apiBaseUrl
        "faces": {"coach": FACE},
    },
    "defaults": {"layers": {"llm": {"model": "tavus-glm-4.7"}}},
    "pals": {
        "alpha": {
            "pal_name": "Alpha",
            "face": "coach",
            "system_prompt": "You are Alpha, a concise assistant.",
            "greeting": "Hello from Alpha",
        },
        "beta": {
            "pal_name": "Beta",
            "face": "coach",
            "system_prompt": "You are Beta, a patient tutor.",
            "layers": {"llm": {"extra_body": {"temperature": 0.4}}},
        },
    },
}


class Project:
    """A throw-away copy of the Pulumi project whose dev fleet a test can rewrite."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copy(REPO_ROOT / "__main__.py", root / "__main__.py")
        (root / "stacks" / STACK).mkdir(parents=True)

    @property
    def fleet_file(self) -> Path:
        return self.root / "stacks" / STACK / "fleet.yaml"

    def write_fleet(self, fleet: dict[str, Any]) -> None:
        with self.fleet_file.open("w") as handle:
            YAML(typ="safe").dump(fleet, handle)

    def use_shipped_dev_stack(self) -> None:
        shutil.copy(REPO_ROOT / "stacks" / STACK / "fleet.yaml", self.fleet_file)


@pytest.fixture(scope="module")
def provider_host(
    emulator_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProviderHost]:
    """One provider server for the module: it is configured once, like under `pulumi up`."""
    config = {
        "palfleet:apiBaseUrl": emulator_server.base_url,
        "palfleet:tavusApiKey": emulator_server.api_key,
    }
    host = ProviderHost(REPO_ROOT, "palfleet", config, secret_values=[emulator_server.api_key])
    with host:
        yield host


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


def dev_engine(
    project: Project,
    emulator: RunningEmulator,
    checkpoint: Path,
    provider_host: ProviderHost | None = None,
) -> Engine:
    """An engine on the dev stack of ``project``, against the emulator with the dev stack's
    faces seeded; with ``provider_host`` it shares that server, else it starts its own."""
    for face_id in (FACE, "r2a77e11e402", "r3b1e7a0c903", "r4d5a1e5c004"):
        emulator.control.seed(faces=[{"face_id": face_id, "face_name": face_id}])
    config = {
        "palfleet:apiBaseUrl": emulator.base_url,
        "palfleet:tavusApiKey": emulator.api_key,
        **SECRETS,
    }
    return Engine(
        project.root,
        STACK,
        checkpoint,
        config,
        secret_config_keys={"palfleet:tavusApiKey", *SECRETS},
        passphrase="lifecycle-test",
        provider_host=provider_host,
    )


@pytest.fixture
def engine(
    project: Project, emulator: RunningEmulator, provider_host: ProviderHost, tmp_path: Path
) -> Engine:
    return dev_engine(project, emulator, tmp_path / "checkpoint.json", provider_host)


def ops(result: RunResult) -> dict[str, str]:
    return {step.name: step.op for step in result.steps}


def live_pals(emulator: RunningEmulator) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{emulator.base_url}/pals",
        params={"pal_type": "user", "limit": 100},
        headers={"x-api-key": emulator.api_key},
    )
    response.raise_for_status()
    pals: list[dict[str, Any]] = response.json()["data"]
    return pals


def get_pal(emulator: RunningEmulator, pal_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{emulator.base_url}/pals/{pal_id}", headers={"x-api-key": emulator.api_key}
    )
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def preview_ok(engine: Engine) -> RunResult:
    result = engine.preview()
    assert result.ok, result.render()
    return result


def up_ok(engine: Engine) -> RunResult:
    result = engine.up()
    assert result.ok, result.render()
    return result


def test_shipped_dev_stack_up_then_preview_and_refresh_are_empty(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.use_shipped_dev_stack()
    created = up_ok(engine)
    assert set(ops(created).values()) == {"create"}
    assert len([s for s in created.steps if s.type == PAL_TYPE_TOKEN]) == 4
    counts = emulator.control.requests()
    assert counts.count("POST", "/v2/pals") == 4, "one POST per PAL"
    tool_writes = [e for e in counts.writes() if "/tools" in e.path]
    assert (
        counts.count("POST", "/v2/guardrails") == 2 and counts.count("POST", "/v2/objectives") == 1
    )
    assert len(counts.writes()) == 4 + len(tool_writes) + 3, "no PAL write beyond its POST"
    assert sorted(created.outputs["pal_ids"]) == [
        "interviewer",
        "sales-coach",
        "storyteller",
        "wellness-coach",
    ]

    emulator.control.clear_requests()
    preview = preview_ok(engine)
    assert set(ops(preview).values()) == {"same"}
    assert emulator.control.requests().count() == 0, "a no-op preview makes no request"

    refresh = engine.refresh()
    assert refresh.ok, refresh.render()
    assert set(ops(refresh).values()) == {"read-same"}
    log = emulator.control.requests()
    assert log.writes() == []
    assert log.count("GET", "/v2/pals/{id}") == 4

    emulator.control.clear_requests()
    again = up_ok(engine)
    assert set(ops(again).values()) == {"same"}
    assert emulator.control.requests().count() == 0


def test_secrets_reach_the_api_but_never_the_checkpoint(
    project: Project, engine: Engine, emulator: RunningEmulator, tmp_path: Path
) -> None:
    project.use_shipped_dev_stack()
    result = up_ok(engine)
    checkpoint = (tmp_path / "checkpoint.json").read_bytes()
    for value in [*SECRETS.values(), emulator.api_key]:
        assert value.encode() not in checkpoint
        assert value not in result.render()
    storyteller = get_pal(emulator, result.outputs["pal_ids"]["storyteller"])
    assert storyteller["layers"]["llm"]["api_key"] == "********", "stored, echoed masked"
    state = engine.state()
    resource = next(r for r in state.resources if r.name == "storyteller")
    assert "secrets" in resource.secret_outputs


def test_changed_secret_is_detected_and_applied_as_one_patch(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.use_shipped_dev_stack()
    up_ok(engine)
    engine.config["palfleet:storyLlmApiKey"] = "sk-story-rotated-0003"
    preview = preview_ok(engine)
    assert ops(preview)["storyteller"] == "update"
    assert {name for name, op in ops(preview).items() if op != "same"} == {"storyteller"}
    emulator.control.clear_requests()
    up_ok(engine)
    log = emulator.control.requests()
    assert log.count("PATCH", "/v2/pals/{id}") == 1
    assert len(log.writes()) == 1


def test_one_field_edit_previews_that_change_and_applies_as_a_single_patch(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    first = up_ok(engine)
    edited = copy.deepcopy(SMALL_FLEET)
    edited["pals"]["alpha"]["greeting"] = "Hi, Alpha here"
    project.write_fleet(edited)

    emulator.control.clear_requests()
    preview = preview_ok(engine)
    assert ops(preview) == {"alpha": "update", "beta": "same"}
    assert preview.step("alpha").changed_keys == ["spec"]
    assert preview.step("alpha").changed_paths == ["spec.greeting"]
    assert emulator.control.requests().count() == 0

    up_ok(engine)
    log = emulator.control.requests()
    assert log.count("PATCH", "/v2/pals/{id}") == 1
    assert len(log.writes()) == 1
    assert log.count("GET", "/v2/pals/{id}") <= 1
    alpha = get_pal(emulator, first.outputs["pal_ids"]["alpha"])
    assert alpha["greeting"] == "Hi, Alpha here"


def test_dashboard_edit_is_reported_by_refresh_and_reverted_by_up(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    pal_id = up_ok(engine).outputs["pal_ids"]["beta"]
    emulator.control.edit_pal(pal_id, {"system_prompt": "edited in the dashboard"})

    refresh = engine.refresh()
    assert ops(refresh) == {"alpha": "read-same", "beta": "refresh-changed"}
    assert refresh.step("beta").changed_paths == ["spec.system_prompt"]
    preview = preview_ok(engine)
    assert ops(preview) == {"alpha": "same", "beta": "update"}

    emulator.control.clear_requests()
    up_ok(engine)
    assert get_pal(emulator, pal_id)["system_prompt"] == "You are Beta, a patient tutor."
    assert len(emulator.control.requests().writes()) == 1
    assert set(ops(engine.refresh()).values()) == {"read-same"}


def test_pal_deleted_out_of_band_is_recreated(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    old_id = up_ok(engine).outputs["pal_ids"]["alpha"]
    emulator.control.delete_pal(old_id)

    refresh = engine.refresh()
    assert ops(refresh)["alpha"] == "refresh-deleted"
    result = up_ok(engine)
    assert ops(result) == {"alpha": "create", "beta": "same"}
    new_id = result.outputs["pal_ids"]["alpha"]
    assert new_id != old_id
    assert sorted(p["pal_name"] for p in live_pals(emulator)) == ["Alpha", "Beta"]


def test_pal_removed_from_the_declaration_is_deleted(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    up_ok(engine)
    smaller = copy.deepcopy(SMALL_FLEET)
    del smaller["pals"]["beta"]
    project.write_fleet(smaller)
    emulator.control.clear_requests()
    result = up_ok(engine)
    assert ops(result) == {"alpha": "same", "beta": "delete"}
    assert emulator.control.requests().count("DELETE", "/v2/pals/{id}") == 1
    assert [p["pal_name"] for p in live_pals(emulator)] == ["Alpha"]


def test_adoption_takes_over_an_existing_pal_without_creating_one(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    existing = httpx.post(
        f"{emulator.base_url}/pals",
        json={"pal_name": "Alpha", "default_face_id": FACE, "system_prompt": "hand made"},
        headers={"x-api-key": emulator.api_key},
    ).json()["pal_id"]
    fleet = copy.deepcopy(SMALL_FLEET)
    fleet["bindings"]["adopt_ids"] = {"alpha": existing}
    project.write_fleet(fleet)

    emulator.control.clear_requests()
    result = up_ok(engine)
    assert result.outputs["pal_ids"]["alpha"] == existing
    log = emulator.control.requests()
    assert log.count("POST", "/v2/pals") == 1, "only beta is created"
    assert log.count("PATCH", "/v2/pals/{id}") == 1
    assert get_pal(emulator, existing)["system_prompt"] == "You are Alpha, a concise assistant."
    assert sorted(p["pal_name"] for p in live_pals(emulator)) == ["Alpha", "Beta"]


def test_unknown_outcome_create_ends_with_exactly_one_pal(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    fleet = copy.deepcopy(SMALL_FLEET)
    del fleet["pals"]["beta"]
    project.write_fleet(fleet)
    emulator.control.add_fault(method="POST", path="/v2/pals", drop="after", times=1)

    result = up_ok(engine)
    pals = live_pals(emulator)
    assert [p["pal_name"] for p in pals] == ["Alpha"]
    assert result.outputs["pal_ids"]["alpha"] == pals[0]["pal_id"]
    assert emulator.control.requests().count("POST", "/v2/pals") == 1, "never blindly re-posted"
    assert set(ops(preview_ok(engine)).values()) == {"same"}


def test_maker_draft_conflict_fails_clearly_and_succeeds_with_force(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    pal_id = up_ok(engine).outputs["pal_ids"]["alpha"]
    emulator.control.set_maker_draft(pal_id)
    edited = copy.deepcopy(SMALL_FLEET)
    edited["pals"]["alpha"]["greeting"] = "Changed while a human edits"
    project.write_fleet(edited)

    failed = engine.up()
    assert not failed.ok
    error = failed.step("alpha").error or ""
    assert "PAL Maker" in error
    assert "force_maker_overwrite" in error
    # One line for the user: no traceback, no source path, no Python exception name.
    assert "Traceback" not in error and ".py" not in error
    assert "ReconcileError" not in error and "pal_provider" not in error
    assert get_pal(emulator, pal_id)["greeting"] == "Hello from Alpha", "never forced silently"

    edited["pals"]["alpha"]["palfleet"] = {"force_maker_overwrite": True}
    project.write_fleet(edited)
    up_ok(engine)
    assert get_pal(emulator, pal_id)["greeting"] == "Changed while a human edits"


def test_invalid_declaration_stops_before_any_remote_write(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    broken = copy.deepcopy(SMALL_FLEET)
    broken["pals"]["alpha"]["layers"] = {"llm": {"model": "tavus-llama"}}
    project.write_fleet(broken)
    result = engine.up()
    assert not result.ok
    assert "tavus-llama" in "\n".join(result.errors)
    assert emulator.control.requests().count() == 0


def test_rate_limits_and_server_errors_at_twenty_percent_still_converge(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    fleet = copy.deepcopy(SMALL_FLEET)
    for index in range(6):
        fleet["pals"][f"extra-{index}"] = {
            "pal_name": f"Extra {index}",
            "face": "coach",
            "system_prompt": f"You are extra number {index}.",
        }
    project.write_fleet(fleet)
    emulator.control.add_fault(path="/v2/*", status=429, retry_after=0, probability=0.2, seed=7)
    emulator.control.add_fault(path="/v2/*", status=503, probability=0.2, seed=3)

    for _attempt in range(4):
        if engine.up().ok:
            break
    else:
        pytest.fail("did not converge in four runs")
    statuses = [entry.status for entry in emulator.control.requests().entries]
    assert 429 in statuses and 503 in statuses, "the faults really fired"
    emulator.control.clear_faults()

    assert set(ops(preview_ok(engine)).values()) == {"same"}
    names = sorted(p["pal_name"] for p in live_pals(emulator))
    assert names == sorted(p["pal_name"] for p in fleet["pals"].values()), (
        "no duplicate, none missing"
    )
