"""Planning the inline-tool migration offline: sharing, reuse of declared tools, clashes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pal_provider.declaration import FleetDeclaration, load_stack, resolve_fleet
from pal_provider.declaration.migration import MigrationPlan, plan_migration
from pal_provider.declaration.tool_definition import same_definition

REPO_STACKS = Path(__file__).resolve().parents[2] / "stacks"


def function(name: str, description: str = "Look it up.", **props: Any) -> dict[str, Any]:
    params = {"type": "object", "properties": props or {"q": {"type": "string"}}}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": params},
    }


def plan_for(
    pals: dict[str, Any], tools: dict[str, Any] | None = None, migrate: bool = True
) -> MigrationPlan:
    doc = {
        "bindings": {"api_base_url": "https://tavusapi.com/v2", "faces": {"coach": "r1c0ac4e5a01"}},
        "defaults": {"palfleet": {"migrate_inline_tools": migrate}},
        "pals": {
            name: {"face": "coach", "system_prompt": "Be brief.", **body}
            for name, body in pals.items()
        },
        "tools": tools or {},
    }
    return plan_migration(resolve_fleet(FleetDeclaration.model_validate(doc), "dev"))


def llm_tools(*tools: dict[str, Any]) -> dict[str, Any]:
    return {"layers": {"llm": {"tools": list(tools)}}}


def test_the_shipped_sales_coach_migrates_three_tools_with_the_documented_shape() -> None:
    result = load_stack("dev", REPO_STACKS)
    assert result.fleet is not None
    fleet = resolve_fleet(result.fleet, "dev")
    opted = {
        name: (
            pal if name != "sales-coach" else dataclasses.replace(pal, migrate_inline_tools=True)
        )
        for name, pal in fleet.pals.items()
    }
    plan = plan_migration(dataclasses.replace(fleet, pals=opted))

    assert plan.findings == []
    assert sorted(plan.tools) == ["get_pricing", "log_objection", "lookup_product"]
    body = plan.tools["lookup_product"].body
    assert body["origin"] == "llm"
    assert body["on_resolve"] == "generate_response"
    assert body["delivery"] == {"app_message": True}
    assert body["parameters"]["required"] == ["query"]
    migration = plan.pals["sales-coach"]
    assert "tools" not in migration.body["layers"]["llm"]
    assert migration.body["layers"]["llm"]["model"] == "tavus-gpt-4.1"
    assert "layers.llm.tools (3)" in migration.describe()
    assert list(plan.pals) == ["sales-coach"]


def test_identical_inline_tools_of_many_pals_become_one_shared_tool_each() -> None:
    shared = [function(f"tool_{i}") for i in range(5)]
    plan = plan_for({f"pal-{n:02d}": llm_tools(*shared) for n in range(20)})

    assert plan.findings == []
    assert sorted(plan.tools) == [f"tool_{i}" for i in range(5)]
    assert len(plan.pals) == 20
    assert plan.pals["pal-03"].shared_with["tool_1"][:2] == ["pal-00", "pal-01"]


def test_perception_lists_keep_their_origin_and_the_switch_is_per_stack() -> None:
    body = {
        "layers": {
            "perception": {
                "visual_tools": [function("spot_badge")],
                "audio_tools": [function("hear_alarm")],
            }
        }
    }
    plan = plan_for({"watcher": body})
    assert plan.tools["spot_badge"].body["origin"] == "vision"
    assert plan.tools["hear_alarm"].body["origin"] == "audio"
    assert "visual_tools" not in plan.pals["watcher"].body["layers"]["perception"]
    assert plan_for({"watcher": body}, migrate=False).pals == {}


def test_a_declared_identical_registry_tool_is_reused_not_duplicated() -> None:
    declared = {
        "lookup": {
            "description": "Look it up.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            "on_resolve": "generate_response",
            "delivery": {"app_message": True},
        }
    }
    plan = plan_for({"coach": llm_tools(function("lookup"))}, declared)
    assert plan.findings == []
    assert plan.tools == {}
    assert plan.pals["coach"].declared == ["lookup"]


def test_a_clash_with_a_declared_tool_names_both_definitions_and_the_fix() -> None:
    declared = {"lookup": {"description": "Something else entirely."}}
    plan = plan_for({"coach": llm_tools(function("lookup"))}, declared)
    [finding] = plan.errors
    assert finding.path == "pals.coach.layers.llm.tools[0].function.name"
    assert "Something else entirely." in finding.message and "Look it up." in finding.message
    assert "rename" in finding.fix


def test_a_clash_between_two_pals_is_an_offline_finding() -> None:
    plan = plan_for(
        {
            "first": llm_tools(function("lookup", "Look up a product.")),
            "second": llm_tools(function("lookup", "Look up a customer.")),
        }
    )
    [finding] = plan.errors
    assert finding.pal == "second"
    assert "PAL first" in finding.message and "Look up a customer." in finding.message
    assert "identical" in finding.fix or "rename" in finding.fix


def test_a_missing_description_and_the_fifty_tool_cap_count_migrated_tools() -> None:
    many = [function(f"tool_{i}") for i in range(30)]
    declared = {f"reg_{i}": {"description": f"Registry {i}."} for i in range(25)}
    nameless = {"type": "function", "function": {"name": "bare", "parameters": {}}}
    body = {**llm_tools(*many, nameless), "palfleet": {"tools": sorted(declared)}}
    plan = plan_for({"coach": body}, declared)
    messages = [f.message for f in plan.errors]
    assert any("'bare' has no description" in m for m in messages)
    assert any("56 tools on one PAL after migration" in m for m in messages)


def test_definitions_compare_with_server_defaults_filled_in() -> None:
    live = {
        "tool_id": "t1",
        "name": "x",
        "description": "d",
        "parameters": {},
        "origin": "llm",
        "trigger_type": "in_call",
        "on_resolve": "fire_and_forget",
        "delivery": {"app_message": True},
        "tags": [],
        "created_at": "2025-01-01T00:00:00Z",
    }
    assert same_definition(live, {"name": "x", "description": "d"})
    assert not same_definition(live, {"name": "x", "description": "d", "origin": "vision"})
