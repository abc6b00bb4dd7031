"""The example fleet shipped in stacks/ validates, and its stacks differ only in bindings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import Result

from pal_provider.declaration import discover_stacks, load_stack, resolve_fleet, validate_pal_body


@pytest.fixture(scope="module")
def stacks_root(repo_root: Path) -> Path:
    return repo_root / "stacks"


def test_validate_all_passes_on_the_shipped_stacks(
    stacks_root: Path, run_validate: Callable[..., Result]
) -> None:
    result = run_validate("--all", "--root", str(stacks_root))
    assert result.exit_code == 0, result.output
    for stack in ("dev", "staging", "prod"):
        assert f"{stack}: ok (0 error(s)" in result.output
    assert "Traceback" not in result.output


def test_the_three_environments_are_declared(stacks_root: Path) -> None:
    assert discover_stacks(stacks_root) == ["dev", "prod", "staging"]
    for stack in ("dev", "staging", "prod"):
        text = (stacks_root / f"Pulumi.{stack}.yaml").read_text()
        config = YAML(typ="safe").load(text)["config"]
        assert not any(isinstance(value, dict) for value in config.values()), "no secure: values"
        assert "pulumi config set --secret" in text


def test_dev_points_at_the_emulator_and_the_others_at_tavus(stacks_root: Path) -> None:
    urls = {}
    for stack in ("dev", "staging", "prod"):
        loaded = load_stack(stack, stacks_root)
        assert loaded.ok and loaded.fleet is not None
        urls[stack] = loaded.fleet.bindings.api_base_url
    assert urls == {
        "dev": "http://127.0.0.1:8787/v2",
        "staging": "https://tavusapi.com/v2",
        "prod": "https://tavusapi.com/v2",
    }


def test_intent_is_shared_and_bindings_differ(stacks_root: Path) -> None:
    fleets = {s: load_stack(s, stacks_root).fleet for s in ("dev", "staging", "prod")}
    dev, staging, prod = fleets["dev"], fleets["staging"], fleets["prod"]
    assert dev is not None and staging is not None and prod is not None
    assert dev.pals == staging.pals and dev.tools == staging.tools
    assert dev.defaults == prod.defaults and dev.tools == prod.tools
    assert set(dev.pals) == set(prod.pals)
    assert set(dev.bindings.faces.values()).isdisjoint(prod.bindings.faces.values())
    for face_id in dev.bindings.faces.values():
        assert len(face_id) == 12 and face_id[0] == "r"
        int(face_id[1:], 16)


def test_example_fleet_covers_the_documented_examples(stacks_root: Path) -> None:
    loaded = load_stack("prod", stacks_root)
    assert loaded.fleet is not None
    resolved = resolve_fleet(loaded.fleet, "prod")
    coach = resolved.pals["wellness-coach"].body["layers"]["llm"]
    assert coach["model"] == "tavus-glm-4.7"
    assert set(coach["extra_body"]) == {"temperature", "top_p"}
    story = resolved.pals["storyteller"].body["layers"]["llm"]
    assert story["base_url"].startswith("https://contoso-openai.openai.azure.com/")
    assert story["default_query"] == {"api-version": "2024-10-21"}
    assert story["api_key"] == {"$secret": "palfleet:storyLlmApiKey"}
    interviewer = resolved.pals["interviewer"].body["layers"]
    assert interviewer["perception"]["perception_model"] == "raven-1"
    assert interviewer["conversational_flow"]["turn_detection_model"] == "sparrow-1"
    sales = resolved.pals["sales-coach"].body["layers"]["llm"]
    assert sales["model"] == "tavus-gpt-4.1"
    assert 2 <= len(sales["tools"]) <= 3
    assert {w.path for w in loaded.warnings} >= {
        "pals.sales-coach.layers.llm.model",
        "pals.sales-coach.layers.llm.tools",
    }
    assert resolved.tools, "the example declares registry tools"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_resolved_bodies_pass_the_body_check(stacks_root: Path, stack: str) -> None:
    loaded = load_stack(stack, stacks_root)
    assert loaded.fleet is not None
    for pal in resolve_fleet(loaded.fleet, stack).pals.values():
        errors = [f for f in validate_pal_body(pal.body) if f.severity == "error"]
        assert errors == [], (pal.logical_name, [f.render() for f in errors])
