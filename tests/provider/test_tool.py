"""ToolResource lifecycle through the engine stand-in against the emulator: create, adopt,
clash, merge-PATCH update, secrets, refresh drift, delete."""

from __future__ import annotations

import copy
from typing import Any

from tests.provider.tool_harness import (
    HOOK_TOKEN,
    Project,
    fleet,
    ops,
    pal,
    project,
    provider_host,
    writes,
)

__all__ = ["project", "provider_host"]

LOG_MOOD: dict[str, Any] = {
    "description": "Record the mood the user reports (1-5).",
    "parameters": {
        "type": "object",
        "properties": {"mood": {"type": "integer"}},
        "required": ["mood"],
    },
    "on_call": "silent",
    "delivery": {"app_message": True},
    "tags": ["wellness"],
}
HOOK: dict[str, Any] = {
    "description": "Book a follow-up for a candidate.",
    "parameters": {"type": "object", "properties": {"candidate_id": {"type": "string"}}},
    "on_resolve": "generate_response",
    "delivery": {
        "api": {
            "url": "https://hooks.example.com/candidates/{candidate_id}",
            "timeout": 10,
            "auth": {"type": "bearer", "token": {"secret": "palfleet:hookToken"}},
        }
    },
}


def tool_fleet(**tools: dict[str, Any]) -> dict[str, Any]:
    return fleet({"coach": pal("You are a coach.", palfleet={"tools": sorted(tools)})}, tools)


def test_declared_tools_are_created_attached_and_a_second_run_writes_nothing(
    project: Project,
) -> None:
    project.write(tool_fleet(log_mood=LOG_MOOD, hook=HOOK))

    first = project.up()

    assert first.ok, first.render()
    assert ops(first) == {"Tool/hook": "create", "Tool/log_mood": "create", "Pal/coach": "create"}
    live = project.live_tools()
    assert live["log_mood"]["on_call"] == "silent"
    assert live["hook"]["delivery"]["api"]["auth"]["token"] == "********"
    pal_id = first.outputs["pal_ids"]["coach"]
    assert project.attached_names(pal_id) == ["hook", "log_mood"]
    assert HOOK_TOKEN not in project.checkpoint.read_text()
    assert HOOK_TOKEN not in first.render()

    project.control.clear_requests()
    second = project.up()

    assert second.ok, second.render()
    assert set(ops(second).values()) == {"same"}
    assert writes(project) == []


def test_a_changed_definition_is_one_merge_patch_and_a_dropped_field_returns_to_default(
    project: Project,
) -> None:
    project.write(tool_fleet(log_mood=LOG_MOOD))
    tool_id = project.up().outputs["tool_ids"]["log_mood"]
    changed = {k: v for k, v in LOG_MOOD.items() if k != "tags"}
    changed["description"] = "Record the user's mood (1-5) and a short note."
    project.write(tool_fleet(log_mood=changed))
    project.control.clear_requests()

    preview = project.preview()
    result = project.up()

    assert ops(preview)["Tool/log_mood"] == "update"
    assert result.ok, result.render()
    assert ops(result) == {"Tool/log_mood": "update", "Pal/coach": "same"}
    assert writes(project) == ["PATCH /v2/tools/{id}"]
    live = project.live_tools()["log_mood"]
    assert live["tool_id"] == tool_id
    assert live["description"] == changed["description"]
    assert live["tags"] == []
    assert live["on_call"] == "silent"


def test_masked_secret_shows_no_diff_but_a_changed_secret_is_applied(project: Project) -> None:
    project.write(tool_fleet(hook=HOOK))
    project.up()
    project.control.clear_requests()

    same = project.preview()
    assert ops(same)["Tool/hook"] == "same"

    project.secrets["palfleet:hookToken"] = "hook-token-rotated-0042"
    preview = project.preview()
    result = project.up()

    assert ops(preview)["Tool/hook"] == "update"
    assert result.ok, result.render()
    assert writes(project) == ["PATCH /v2/tools/{id}"]
    assert "hook-token-rotated-0042" not in result.render()
    assert "hook-token-rotated-0042" not in project.checkpoint.read_text()
    project.control.clear_requests()
    assert set(ops(project.up()).values()) == {"same"}
    assert writes(project) == []


def test_an_identical_live_tool_is_adopted_and_kept_on_destroy_while_others_use_it(
    project: Project,
) -> None:
    body = {"name": "log_mood", **copy.deepcopy(LOG_MOOD)}
    seeded = project.control.seed(tools=[body])["tools"][0]
    outsider = {
        "pal_name": "Outside the fleet",
        "pipeline_mode": "echo",
        "tool_ids": [seeded],
    }
    project.control.seed(pals=[outsider], validate=False)
    project.write(tool_fleet(log_mood=LOG_MOOD))

    result = project.up()

    assert result.ok, result.render()
    assert result.outputs["tool_ids"]["log_mood"] == seeded
    assert project.control.requests().count("POST", "/v2/tools") == 0
    assert result.resource("log_mood").outputs["adopted"] is True
    assert project.destroy().ok
    assert "log_mood" in project.live_tools()


def test_an_adopted_tool_that_nothing_uses_any_more_is_deleted_on_destroy(
    project: Project,
) -> None:
    """It may be the leftover of palfleet's own interrupted create: destroy leaves nothing."""
    body = {"name": "log_mood", **copy.deepcopy(LOG_MOOD)}
    project.control.seed(tools=[body])
    project.write(tool_fleet(log_mood=LOG_MOOD))

    assert project.up().ok
    assert project.destroy().ok
    assert "log_mood" not in project.live_tools()


def test_a_live_tool_with_a_different_definition_is_a_clash_naming_both(
    project: Project,
) -> None:
    body = {"name": "log_mood", **copy.deepcopy(LOG_MOOD), "description": "Something else."}
    project.control.seed(tools=[body])
    project.write(tool_fleet(log_mood=LOG_MOOD))

    result = project.up()

    assert not result.ok
    error = result.step("log_mood").error or ""
    assert "already exists" in error
    assert '"Something else."' in error and "Record the mood" in error
    assert "rename" in error and "delete the live one" in error
    assert project.control.requests().count("POST", "/v2/tools") == 0
    assert project.live_tools()["log_mood"]["description"] == "Something else."


def test_refresh_reports_tool_drift_and_up_repairs_it(project: Project) -> None:
    project.write(tool_fleet(log_mood=LOG_MOOD, hook=HOOK))
    ids = project.up().outputs["tool_ids"]
    project.api("PATCH", f"/tools/{ids['log_mood']}", json={"description": "edited by hand"})
    project.api("DELETE", f"/tools/{ids['hook']}")

    refreshed = project.refresh()

    assert ops(refreshed)["Tool/log_mood"] == "refresh-changed"
    assert ops(refreshed)["Tool/hook"] == "refresh-deleted"
    repaired = project.up()
    assert repaired.ok, repaired.render()
    assert ops(repaired)["Tool/log_mood"] == "update"
    assert ops(repaired)["Tool/hook"] == "create"
    live = project.live_tools()
    assert live["log_mood"]["description"] == LOG_MOOD["description"]
    pal_id = repaired.outputs["pal_ids"]["coach"]
    assert project.attached_names(pal_id) == ["hook", "log_mood"]
    project.control.clear_requests()
    assert set(ops(project.up()).values()) == {"same"}
    assert writes(project) == []


def test_a_tool_dropped_from_the_declaration_is_detached_and_deleted(project: Project) -> None:
    project.write(tool_fleet(log_mood=LOG_MOOD, hook=HOOK))
    first = project.up()
    pal_id = first.outputs["pal_ids"]["coach"]
    project.write(tool_fleet(log_mood=LOG_MOOD))

    result = project.up()

    assert result.ok, result.render()
    assert ops(result)["Tool/hook"] == "delete"
    assert ops(result)["Pal/coach"] == "update"
    assert "hook" not in project.live_tools()
    assert project.attached_names(pal_id) == ["log_mood"]


def test_an_undeclared_placeholder_stops_the_run_before_any_write(project: Project) -> None:
    bad = copy.deepcopy(HOOK)
    bad["delivery"]["api"]["body_template"] = '{"day": "{prefered_day}"}'
    project.write(tool_fleet(hook=bad))

    result = project.up()

    assert not result.ok
    text = "\n".join(result.errors)
    assert "prefered_day" in text and "delivery.api.body_template" in text
    assert writes(project) == []
