"""`pulumi preview` and `pulumi up` under the real engine's rules (issue: the first preview of
any fleet with registry tools failed on the tools' unknown ids).

Driven by the engine stand-in, which previews before every `up`, hands unknown ids to Check and
Diff in a preview, cancels an `up` at its first failed step and replaces with delete first
where the resource asks for it (docs/engine-fidelity.md).
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import Engine

from pal_provider.declaration import load_stack
from pal_provider.provider.pal import PAL_TYPE_TOKEN
from pal_provider.provider.tool import TOOL_TYPE_TOKEN
from tests.provider.test_lifecycle import (
    REPO_ROOT,
    SECRETS,
    SMALL_FLEET,
    Project,
    dev_engine,
    get_pal,
    live_pals,
    ops,
    preview_ok,
    up_ok,
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@pytest.fixture
def engine(project: Project, emulator: RunningEmulator, tmp_path: Path) -> Engine:
    """An engine that starts its own provider server for every operation, as the CLI starts
    a plugin per deployment: what the provider remembers within a process (its one listing of
    the account, the PALs it has taken) must not leak from one run into the next."""
    return dev_engine(project, emulator, tmp_path / "checkpoint.json")


def live_tools(emulator: RunningEmulator) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{emulator.base_url}/tools",
        params={"limit": 100},
        headers={"x-api-key": emulator.api_key},
    )
    response.raise_for_status()
    tools: list[dict[str, Any]] = response.json()["data"]
    return tools


def post_pal(emulator: RunningEmulator, **body: Any) -> str:
    """A PAL made outside palfleet (by a person, or another tool)."""
    response = httpx.post(
        f"{emulator.base_url}/pals",
        json={"default_face_id": "r1c0ac4e5a01", **body},
        headers={"x-api-key": emulator.api_key},
    )
    response.raise_for_status()
    return str(response.json()["pal_id"])


def forget(engine: Engine, name: str) -> None:
    """As if the engine had been killed after the provider's POST and before the state write."""
    snapshot = engine.state()
    engine.checkpoint.save(
        snapshot.model_copy(
            update={"resources": tuple(r for r in snapshot.resources if r.name != name)}
        )
    )


def test_first_preview_of_the_shipped_dev_stack_succeeds_on_an_empty_account(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.use_shipped_dev_stack()
    emulator.control.clear_requests()

    preview = preview_ok(engine)

    assert ops(preview) == {
        "log_mood": "create",
        "schedule_follow_up": "create",
        "no-medical-advice": "create",
        "fair-interviews": "create",
        "interview-flow": "create",
        "wellness-coach": "create",
        "storyteller": "create",
        "interviewer": "create",
        "sales-coach": "create",
    }
    assert emulator.control.requests().count() == 0, "a preview sends nothing"
    assert preview.outputs["pal_ids"]["wellness-coach"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_whole_cycle_of_every_shipped_stack_succeeds(
    stack: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Preview, up, a second up (0 requests), refresh, a dashboard edit reverted, destroy:
    each shipped stack as it is in the repository, on the emulator instead of its account."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "stacks", root / "stacks")
    faces = load_stack(stack, root / "stacks").fleet.bindings.faces  # type: ignore[union-attr]
    emulator.control.seed(faces=[{"face_id": i, "face_name": n} for n, i in faces.items()])
    engine = Engine(
        root,
        stack,
        tmp_path / "checkpoint.json",
        {
            "palfleet:apiBaseUrl": emulator.base_url,
            "palfleet:tavusApiKey": emulator.api_key,
            **SECRETS,
        },
        secret_config_keys={"palfleet:tavusApiKey", *SECRETS},
        passphrase="lifecycle-test",
    )
    emulator.control.clear_requests()

    preview = preview_ok(engine)
    assert {s.op for s in preview.steps} == {"create"}
    assert emulator.control.requests().count() == 0, "a preview sends nothing"
    created = up_ok(engine)
    assert created.preview is not None and created.preview.ok

    emulator.control.clear_requests()
    assert {s.op for s in up_ok(engine).steps} == {"same"}
    assert emulator.control.requests().count() == 0, "a second up sends nothing"

    refresh = engine.refresh()
    assert refresh.ok and {s.op for s in refresh.steps} == {"read-same"}, refresh.render()

    pal_id = created.outputs["pal_ids"]["wellness-coach"]
    emulator.control.edit_pal(pal_id, {"greeting": "Edited by hand in the dashboard"})
    assert engine.refresh().step("wellness-coach").op == "refresh-changed"
    emulator.control.clear_requests()
    reverted = up_ok(engine)
    assert ops(reverted)["wellness-coach"] == "update"
    assert [e.method for e in emulator.control.requests().writes()] == ["PATCH"]

    destroyed = engine.destroy()
    assert destroyed.ok, destroyed.render()
    assert live_pals(emulator) == [] and live_tools(emulator) == []


def test_a_later_preview_that_adds_a_tool_to_a_pal_succeeds(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.use_shipped_dev_stack()
    up_ok(engine)
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    fleet = yaml.load(project.fleet_file.read_text())
    fleet["tools"]["note_goal"] = {
        "description": "Write down the goal the user names.",
        "parameters": {
            "type": "object",
            "properties": {"goal": {"type": "string"}},
            "required": ["goal"],
        },
        "on_resolve": "add_to_context",
        "delivery": {"app_message": True},
    }
    fleet["pals"]["wellness-coach"]["palfleet"]["tools"].append("note_goal")
    project.write_fleet(fleet)

    preview = preview_ok(engine)
    assert ops(preview)["note_goal"] == "create"
    assert ops(preview)["wellness-coach"] == "update"
    result = up_ok(engine)
    pal_id = result.outputs["pal_ids"]["wellness-coach"]
    assert result.outputs["tool_ids"]["note_goal"] in get_pal(emulator, pal_id)["tool_ids"]


def test_a_new_api_base_url_is_stored_without_a_request_and_used_by_refresh(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    up_ok(engine)
    moved = emulator.base_url.replace("127.0.0.1", "localhost")
    engine.config["palfleet:apiBaseUrl"] = moved
    emulator.control.clear_requests()

    result = up_ok(engine)

    assert ops(result) == {"alpha": "update", "beta": "update"}
    assert emulator.control.requests().count() == 0
    assert {r.outputs["settings"]["api_base_url"] for r in result.resources.values()} == {moved}
    assert engine.state().provider is not None
    assert engine.state().provider.inputs["palfleet:apiBaseUrl"] == moved  # type: ignore[union-attr]
    assert {s.op for s in up_ok(engine).steps} == {"same"}


def test_two_unknown_outcomes_in_a_row_still_make_exactly_one_pal(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    fleet = copy.deepcopy(SMALL_FLEET)
    del fleet["pals"]["beta"]
    project.write_fleet(fleet)
    emulator.control.add_fault(method="POST", path="/v2/pals", status=503, times=1)
    emulator.control.add_fault(method="POST", path="/v2/pals", drop="after", times=1)

    result = up_ok(engine)

    pals = live_pals(emulator)
    assert [p["pal_name"] for p in pals] == ["Alpha"]
    assert result.outputs["pal_ids"]["alpha"] == pals[0]["pal_id"]
    assert set(ops(preview_ok(engine)).values()) == {"same"}


def test_a_pal_left_by_an_interrupted_run_is_adopted_not_duplicated(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    first = up_ok(engine)
    alpha = first.outputs["pal_ids"]["alpha"]
    forget(engine, "alpha")
    emulator.control.clear_requests()

    result = up_ok(engine)

    assert ops(result)["alpha"] == "create"
    assert result.outputs["pal_ids"]["alpha"] == alpha
    log = emulator.control.requests()
    assert log.count("POST", "/v2/pals") == 0
    assert log.count("GET", "/v2/pals") == 1, "one listing for the whole run"
    assert sorted(p["pal_name"] for p in live_pals(emulator)) == ["Alpha", "Beta"]
    assert any(alpha in line and "interrupted" in line for line in result.diagnostics)


def test_a_same_named_pal_with_other_content_is_never_adopted_silently(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    stranger = post_pal(emulator, pal_name="Alpha", system_prompt="Somebody else's Alpha.")
    project.write_fleet(SMALL_FLEET)

    result = up_ok(engine)

    assert result.outputs["pal_ids"]["alpha"] != stranger
    assert get_pal(emulator, stranger)["system_prompt"] == "Somebody else's Alpha."
    warning = next(line for line in result.diagnostics if stranger in line)
    assert "adopt_ids" in warning and "alpha" in warning


def test_a_leftover_holding_the_conferencing_username_is_adopted(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    fleet = copy.deepcopy(SMALL_FLEET)
    fleet["pals"]["alpha"]["layers"] = {"conferencing": {"username": "alpha-desk"}}
    project.write_fleet(fleet)
    alpha = up_ok(engine).outputs["pal_ids"]["alpha"]
    forget(engine, "alpha")
    fleet["pals"]["alpha"]["greeting"] = "Edited after the interrupted run"
    project.write_fleet(fleet)

    result = up_ok(engine)

    assert result.outputs["pal_ids"]["alpha"] == alpha
    assert get_pal(emulator, alpha)["greeting"] == "Edited after the interrupted run"
    assert sorted(p["pal_name"] for p in live_pals(emulator)) == ["Alpha", "Beta"]


def test_a_username_held_by_another_pal_names_the_holder_and_the_fix(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    holder = post_pal(
        emulator,
        pal_name="Front desk",
        system_prompt="Another PAL.",
        layers={"conferencing": {"username": "alpha-desk"}},
    )
    fleet = copy.deepcopy(SMALL_FLEET)
    fleet["pals"]["alpha"]["layers"] = {"conferencing": {"username": "alpha-desk"}}
    project.write_fleet(fleet)

    result = engine.up(continue_on_error=True)

    error = result.step("alpha").error or ""
    assert holder in error and "Front desk" in error and "adopt_ids" in error
    assert ".py" not in error and "Error:" not in error and "Traceback" not in error


def test_replacing_a_tool_deletes_first_and_never_adopts_the_tool_it_deletes(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.use_shipped_dev_stack()
    first = up_ok(engine)
    old_tool = first.outputs["tool_ids"]["log_mood"]
    urn = first.resource("log_mood", TOOL_TYPE_TOKEN).urn

    result = engine.up(replace=[urn])

    assert result.ok, result.render()
    assert ops(result)["log_mood"] == "replace"
    new_tool = result.outputs["tool_ids"]["log_mood"]
    assert new_tool != old_tool
    assert [t["tool_id"] for t in live_tools(emulator) if t["name"] == "log_mood"] == [new_tool]
    coach = get_pal(emulator, result.outputs["pal_ids"]["wellness-coach"])
    assert new_tool in coach["tool_ids"] and old_tool not in coach["tool_ids"]
    assert {s.op for s in up_ok(engine).steps} == {"same"}


def test_replacing_a_pal_deletes_it_first(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    first = up_ok(engine)
    urn = first.resource("alpha", PAL_TYPE_TOKEN).urn

    result = engine.up(replace=[urn])

    assert result.ok, result.render()
    new_id = result.outputs["pal_ids"]["alpha"]
    assert new_id != first.outputs["pal_ids"]["alpha"]
    assert sorted(p["pal_name"] for p in live_pals(emulator)) == ["Alpha", "Beta"]


def test_a_missing_secret_stops_the_program_before_any_resource(
    project: Project, engine: Engine, emulator: RunningEmulator, tmp_path: Path
) -> None:
    project.use_shipped_dev_stack()
    config = {k: v for k, v in engine.config.items() if k != "palfleet:storyLlmApiKey"}
    partial = Engine(
        project.root,
        "dev",
        tmp_path / "other.json",
        config,
        {"palfleet:tavusApiKey", *(k for k in SECRETS if k != "palfleet:storyLlmApiKey")},
        passphrase="lifecycle-test",
    )
    emulator.control.clear_requests()

    result = partial.up(skip_preview=True)

    assert not result.ok and result.steps == []
    assert emulator.control.requests().count() == 0
    text = "\n".join(result.errors)
    assert "pulumi config set --secret palfleet:storyLlmApiKey" in text
    assert "pal storyteller" in text
    assert ".py" not in text and "FleetDeclarationError" not in text


def test_the_key_never_goes_over_plain_http_to_a_remote_host(
    project: Project, engine: Engine, emulator: RunningEmulator
) -> None:
    project.write_fleet(SMALL_FLEET)
    engine.config["palfleet:apiBaseUrl"] = "http://tavus.example.com/v2"
    emulator.control.clear_requests()

    result = engine.up()

    assert not result.ok and result.preview is not None
    failure = result.preview.step("alpha").check_failures[0]
    assert failure.property == "settings.api_base_url"
    assert "refusing to send the Tavus API key over plain http" in failure.reason
    assert emulator.control.requests().count() == 0
