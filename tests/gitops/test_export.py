"""palfleet export: a valid declaration that reproduces and adopts live PALs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pal_provider.api import PalClient
from pal_provider.declaration import load_stack
from pal_provider.gitops.export import factor_defaults
from pal_provider.gitops.names import camel, slugify, unique

from .conftest import ANNA, NATHAN, PLANTED, Invoke, apply_fleet, resolved


def test_round_trip_export_then_plan_has_no_changes(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    root = stack_root.parent / "exported"
    out = root / "prod" / "fleet.yaml"
    (root).mkdir()
    (root / "Pulumi.prod.yaml").write_text("config: {}\n")
    result = palfleet("export", "--stack", "prod", "--output", str(out), root=root)
    assert result.exit_code == 0, result.stdout + result.stderr
    loaded = load_stack("prod", root)
    assert loaded.ok, [f.render() for f in loaded.errors]
    fleet = loaded.fleet
    assert fleet is not None
    assert fleet.bindings.adopt_ids == {"coach": ids["coach"], "story": ids["story"]}
    assert fleet.bindings.faces == {"anna": ANNA, "nathan": NATHAN}, "named after the faces"
    assert set(fleet.bindings.llm_endpoints) == {"story-llm"}
    assert fleet.defaults is not None and fleet.defaults.pipeline_mode == "full"
    assert fleet.pals["coach"].palfleet is not None
    assert fleet.pals["coach"].palfleet.tools == ["log_mood"]
    assert (
        "pulumi config set --secret palfleet:storyLlmApiKey <value> --stack prod" in result.stdout
    )
    assert "pulumi config set --secret palfleet:logMoodToken <value> --stack prod" in result.stdout
    plan = palfleet("plan", "--stack", "prod", root=root)
    assert plan.exit_code == 0, plan.stdout


def test_select_and_stdout(palfleet: Invoke, client: PalClient, stack_root: Path) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    result = palfleet("export", "--stack", "dev", "--select", "Story")
    assert result.exit_code == 0, result.stderr
    assert f"story: {ids['story']}" in result.stdout and "coach" not in result.stdout
    assert "Tavus Researcher" not in result.stdout  # stock PALs are never exported
    by_id = palfleet("export", "--stack", "dev", "--select", ids["coach"])
    assert "pal_name: Coach" in by_id.stdout and "log_mood:" in by_id.stdout
    assert palfleet("export", "--stack", "dev", "--select", "Nobody").exit_code == 1


def test_duplicate_pal_names_are_refused_with_the_fix(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    emulator.control.seed(
        pals=[{"pal_name": "Twin", "system_prompt": "x", "default_face_id": ANNA}] * 2
    )
    result = palfleet("export", "--stack", "dev")
    assert result.exit_code == 1
    assert "share a pal_name" in result.stderr and "--select <pal_id>" in result.stderr


def test_export_is_deterministic(palfleet: Invoke, client: PalClient, stack_root: Path) -> None:
    apply_fleet(client, resolved(stack_root))
    assert (
        palfleet("export", "--stack", "dev").stdout == palfleet("export", "--stack", "dev").stdout
    )


def test_factor_defaults_moves_only_common_leaves() -> None:
    pals = {
        "a": {"pal_name": "A", "pipeline_mode": "full", "layers": {"llm": {"model": "m", "x": 1}}},
        "b": {"pal_name": "B", "pipeline_mode": "full", "layers": {"llm": {"model": "m"}}},
    }
    assert factor_defaults(pals) == {"pipeline_mode": "full", "layers": {"llm": {"model": "m"}}}
    assert pals == {"a": {"pal_name": "A", "layers": {"llm": {"x": 1}}}, "b": {"pal_name": "B"}}
    single = {"a": {"pal_name": "A", "pipeline_mode": "full"}}
    assert factor_defaults(single) == {} and single["a"]["pipeline_mode"] == "full"


def test_names() -> None:
    assert slugify("Wellness Coach!") == "wellness-coach"
    assert slugify("42") == "pal-42"
    taken: set[str] = set()
    assert [unique("a-b", taken) for _ in range(3)] == ["a-b", "a-b-2", "a-b-3"]
    assert camel("story-llm", "api key") == "storyLlmApiKey"
    assert PLANTED  # the planted values are checked in test_secrets.py


def test_export_never_replaces_an_existing_file_without_force(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    hand_written = stack_root / "dev" / "fleet.yaml"
    before = hand_written.read_text()
    emulator.control.clear_requests()

    refused = palfleet("export", "--stack", "dev", "--output", str(hand_written))

    assert refused.exit_code == 1
    assert (
        refused.stderr.startswith(f"palfleet: {hand_written} exists")
        and "--force" in refused.stderr
    )
    assert hand_written.read_text() == before
    assert emulator.control.requests().count() == 0, "refused before reading the account"
    forced = palfleet("export", "--stack", "dev", "--output", str(hand_written), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert hand_written.read_text() != before


def test_exported_json_schema_keeps_the_natural_key_order() -> None:
    from pal_provider.gitops.export import schema_order

    stored = {
        "required": ["order"],
        "properties": {
            "order": {"type": "string", "description": "the order number"},
            "express": {"enum": [True, False], "type": "boolean"},
        },
        "type": "object",
    }

    ordered = schema_order(stored)

    assert list(ordered) == ["type", "properties", "required"]
    assert list(ordered["properties"]) == ["order", "express"], "the author's order stays"
    assert list(ordered["properties"]["order"]) == ["type", "description"]
    assert list(ordered["properties"]["express"]) == ["type", "enum"]
    assert ordered == stored
