"""Migration of legacy inline tools to the tools registry, end to end (engine + emulator).

Every scenario first deploys the PALs with their inline tools (as fleets are today), then
opts in. Invariant checked after every run: no PAL has a tool both inline and attached.
"""

from __future__ import annotations

import copy
import shutil
from typing import Any

from tests.provider.tool_harness import (
    REPO_ROOT,
    STACK,
    Project,
    fleet,
    inline,
    ops,
    pal,
    project,
    provider_host,
    writes,
)

__all__ = ["project", "provider_host"]

SHARED = [inline(f"shared_{i}", f"Shared tool number {i}.") for i in range(5)]


def opted(doc: dict[str, Any], migrate: bool = True) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["defaults"].setdefault("palfleet", {})["migrate_inline_tools"] = migrate
    return out


def sales_fleet() -> dict[str, Any]:
    return fleet(
        {
            "sales": pal(
                "You are a sceptical buyer.",
                layers={"llm": {"tools": [inline("lookup_product"), inline("get_pricing")]}},
            ),
            "other": pal("You are another PAL."),
        }
    )


def assert_never_both(project: Project, pal_ids: dict[str, str]) -> None:
    for name, pal_id in pal_ids.items():
        both = set(project.inline_names(pal_id)) & set(project.attached_names(pal_id))
        assert not both, f"PAL {name} has {sorted(both)} both inline and attached"


def migrated(project: Project, pal_id: str, names: list[str]) -> bool:
    return project.inline_names(pal_id) == [] and project.attached_names(pal_id) == sorted(names)


def test_the_shipped_dev_stack_migrates_the_sales_coach(project: Project) -> None:
    stack_file = project.root / "stacks" / STACK / "fleet.yaml"
    shutil.copy(REPO_ROOT / "stacks" / "dev" / "fleet.yaml", stack_file)
    project.control.seed(
        faces=[
            {"face_id": face, "face_name": face}
            for face in ("r2a77e11e402", "r3b1e7a0c903", "r4d5a1e5c004")
        ]
    )
    project.secrets.update(
        {
            "palfleet:storyLlmApiKey": "sk-story-planted-1",
            "palfleet:elevenlabsApiKey": "el-planted-2",
            "palfleet:followUpHookToken": "hook-planted-3",
        }
    )
    before = project.up()
    assert before.ok, before.render()
    sales = before.outputs["pal_ids"]["sales-coach"]
    assert project.inline_names(sales) == ["get_pricing", "log_objection", "lookup_product"]
    text = stack_file.read_text().replace(
        "migrate_inline_tools: false", "migrate_inline_tools: true"
    )
    project.write_text(text)

    preview = project.preview()
    result = project.up()

    assert any("PAL 'sales-coach': migrating 3 inline tool(s)" in d for d in preview.diagnostics)
    assert ops(preview)["Pal/sales-coach"] == "update"
    assert result.ok, result.render()
    names = ["get_pricing", "log_objection", "lookup_product"]
    assert {ops(result)[f"Tool/{n}"] for n in names} == {"create"}
    assert migrated(project, sales, names)
    tool = project.live_tools()["lookup_product"]
    assert (tool["origin"], tool["on_resolve"], tool["delivery"]) == (
        "llm",
        "generate_response",
        {"app_message": True},
    )
    assert project.live_pal(sales)["layers"]["llm"]["model"] == "tavus-gpt-4.1"
    project.control.clear_requests()
    again = project.up()
    assert set(ops(again).values()) == {"same"}
    assert writes(project) == []


def test_twenty_pals_sharing_five_inline_tools_get_exactly_five_registry_tools(
    project: Project,
) -> None:
    doc = fleet({f"pal-{n:02d}": pal(f"You are PAL {n}.") for n in range(20)})
    doc["defaults"]["layers"]["llm"]["tools"] = SHARED
    project.write(doc)
    pal_ids = project.up().outputs["pal_ids"]
    project.write(opted(doc))
    project.control.clear_requests()

    result = project.up()

    assert result.ok, result.render()
    log = project.control.requests()
    assert log.count("POST", "/v2/tools") == 5
    assert len(project.live_tools()) == 5
    assert log.count("POST", "/v2/pals/{id}/tools") == 20
    assert log.count("PATCH", "/v2/pals/{id}") == 20
    names = [f"shared_{i}" for i in range(5)]
    assert all(migrated(project, pal_id, names) for pal_id in pal_ids.values())
    project.control.clear_requests()
    again = project.up()
    assert set(ops(again).values()) == {"same"}
    assert writes(project) == []


def test_an_identical_live_tool_is_reused_and_a_different_one_stops_the_pal(
    project: Project,
) -> None:
    doc = sales_fleet()
    project.write(doc)
    sales = project.up().outputs["pal_ids"]["sales"]
    reused = {
        "name": "lookup_product",
        "description": "Call lookup_product.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        "on_resolve": "generate_response",
        "delivery": {"app_message": True},
    }
    clash = {"name": "get_pricing", "description": "A different pricing tool."}
    seeded = project.control.seed(tools=[reused, clash])["tools"]
    project.write(opted(doc))

    result = project.up()

    assert not result.ok
    assert result.resource("lookup_product").id == seeded[0]
    error = result.step("get_pricing").error or ""
    assert "A different pricing tool." in error and "rename" in error
    assert "Pal/sales" not in ops(result) and result.not_started == 1, "the run was cancelled"
    assert project.inline_names(sales) == ["get_pricing", "lookup_product"]
    assert project.attached_names(sales) == []
    assert project.control.requests().count("POST", "/v2/tools") == 0


def test_a_dropped_attach_leaves_the_pal_working_and_the_next_run_finishes(
    project: Project,
) -> None:
    doc = sales_fleet()
    project.write(doc)
    pal_ids = project.up().outputs["pal_ids"]
    project.write(opted(doc))
    project.control.add_fault("POST", "/v2/pals/*/tools", drop="after", times=10)

    interrupted = project.up()

    assert not interrupted.ok
    assert "migration stopped" in (interrupted.step("sales").error or "")
    assert project.inline_names(pal_ids["sales"]) == ["get_pricing", "lookup_product"]
    assert_never_both(project, pal_ids)
    project.control.clear_faults()
    finished = project.up()
    assert finished.ok, finished.render()
    assert migrated(project, pal_ids["sales"], ["get_pricing", "lookup_product"])
    assert len(project.live_tools()) == 2


def test_a_failed_inline_removal_detaches_again_and_the_next_run_finishes(
    project: Project,
) -> None:
    doc = sales_fleet()
    project.write(doc)
    pal_ids = project.up().outputs["pal_ids"]
    project.write(opted(doc))
    project.control.add_fault("PATCH", "/v2/pals/*", status=400, times=1)

    interrupted = project.up()

    assert not interrupted.ok
    error = interrupted.step("sales").error or ""
    assert "detached get_pricing, lookup_product again" in error
    assert project.inline_names(pal_ids["sales"]) == ["get_pricing", "lookup_product"]
    assert_never_both(project, pal_ids)
    finished = project.up()
    assert finished.ok, finished.render()
    assert migrated(project, pal_ids["sales"], ["get_pricing", "lookup_product"])
    project.control.clear_requests()
    assert project.up().ok
    assert writes(project) == []


def test_a_failed_tool_create_leaves_the_pal_untouched_and_the_next_run_finishes(
    project: Project,
) -> None:
    doc = sales_fleet()
    project.write(doc)
    pal_ids = project.up().outputs["pal_ids"]
    project.write(opted(doc))
    project.control.add_fault("POST", "/v2/tools", status=400, times=1)

    interrupted = project.up()

    assert not interrupted.ok
    assert "Pal/sales" not in ops(interrupted) and interrupted.not_started == 1
    assert project.inline_names(pal_ids["sales"]) == ["get_pricing", "lookup_product"]
    assert_never_both(project, pal_ids)
    finished = project.up()
    assert finished.ok, finished.render()
    assert migrated(project, pal_ids["sales"], ["get_pricing", "lookup_product"])
    assert len(project.live_tools()) == 2


def test_a_new_pal_opting_in_is_created_with_its_registry_tools(project: Project) -> None:
    project.write(opted(sales_fleet()))
    project.control.clear_requests()

    result = project.up()

    assert result.ok, result.render()
    sales = result.outputs["pal_ids"]["sales"]
    assert migrated(project, sales, ["get_pricing", "lookup_product"])
    assert project.control.requests().count("POST", "/v2/pals/{id}/tools") == 0
