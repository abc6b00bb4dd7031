"""``palfleet models``, the project catalog file, and ``palfleet models upgrade``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pal_provider.cli import app
from pal_provider.declaration import catalog, load_stack

FLEET = """\
# the team's dev fleet
version: 1
bindings:
  api_base_url: http://127.0.0.1:9/v2
  faces: {{anna: rf4703150052}}
defaults:
  layers:
    llm:
      model: {default_model}   # the fleet's default
pals:
  coach:
    pal_name: Coach
    face: anna
    system_prompt: {prompt}
    layers:
      llm:
        model: "{coach_model}"
  story:
    pal_name: Story
    face: anna
    system_prompt: Tell one story.
"""


def write_stack(
    root: Path,
    *,
    default_model: str = "tavus-gpt-4o",
    coach_model: str = "tavus-gpt-4o-mini",
    prompt: str = "Coach briefly.",
    stack: str = "dev",
) -> Path:
    (root / stack).mkdir(parents=True, exist_ok=True)
    (root / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    fleet = root / stack / "fleet.yaml"
    fleet.write_text(
        FLEET.format(default_model=default_model, coach_model=coach_model, prompt=prompt)
    )
    return fleet


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- the catalog --------------------------------------------------------------------------------


def test_models_prints_the_documented_table() -> None:
    code, out, _ = invoke("models", "--root", "/nonexistent")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("tavus-gpt-oss "))
    assert "⚡⚡⚡" in row and "Snappy, low-latency" in row and "32,000 tokens" in row
    deprecated = next(line for line in out.splitlines() if line.startswith("tavus-gpt-4o "))
    assert "deprecated" in deprecated and "tavus-glm-4.7" in deprecated
    assert "tavus-glm-4.7 (default)" in out


def test_a_project_catalog_deprecates_and_adds_models_and_findings_name_it(
    tmp_path: Path,
) -> None:
    write_stack(tmp_path, default_model="tavus-gpt-5.2", coach_model="tavus-gemma-5")
    project = tmp_path / "models.yaml"
    project.write_text(
        "models:\n"
        "  tavus-gpt-5.2: {status: deprecated, replacement: tavus-gemma-5}\n"
        "  tavus-gemma-5: {status: recommended, prompt_token_ceiling: 64000}\n"
        "default_model: tavus-gemma-5\n"
    )

    result = load_stack("dev", tmp_path)

    assert result.ok, [f.render() for f in result.errors]
    warning = next(f for f in result.warnings if "tavus-gpt-5.2" in f.message)
    assert f"deprecated (per {project})" in warning.message
    assert "tavus-gemma-5" in warning.fix
    merged = catalog.load_catalog()
    assert merged.default_model == "tavus-gemma-5"
    assert merged.files == (catalog.SHIPPED, str(project))
    code, out, _ = invoke("models", "--root", str(tmp_path), "--format", "json")
    listed = {m["id"]: m for m in json.loads(out)["models"]}
    assert code == 0 and listed["tavus-gemma-5"]["source"] == str(project)
    assert listed["tavus-gpt-oss"]["source"] == catalog.SHIPPED


def test_a_broken_project_catalog_is_a_finding_naming_the_file(tmp_path: Path) -> None:
    write_stack(tmp_path)
    (tmp_path / "models.yaml").write_text("models:\n  tavus-brand-new: {speed: 2}\n")

    result = load_stack("dev", tmp_path)

    assert not result.ok
    problem = result.errors[0]
    assert problem.file == str(tmp_path / "models.yaml")
    assert "tavus-brand-new" in problem.message and "status" in problem.message


# -- models upgrade ---------------------------------------------------------------------------------


def test_upgrade_dry_run_prints_the_diff_and_exits_2_without_writing(tmp_path: Path) -> None:
    fleet = write_stack(tmp_path)
    before = fleet.read_text()

    code, out, _ = invoke("models", "upgrade", "--root", str(tmp_path))

    assert code == 2
    assert "-      model: tavus-gpt-4o   # the fleet's default" in out
    assert "+      model: tavus-glm-4.7   # the fleet's default" in out
    assert '+        model: "tavus-gpt-oss"' in out
    assert "--write" in out
    assert fleet.read_text() == before


def test_upgrade_write_changes_only_the_model_values(tmp_path: Path) -> None:
    fleet = write_stack(tmp_path)
    before = fleet.read_text()

    code, _, _ = invoke("models", "upgrade", "--stack", "dev", "--root", str(tmp_path), "--write")

    assert code == 0
    expected = before.replace("model: tavus-gpt-4o ", "model: tavus-glm-4.7 ").replace(
        '"tavus-gpt-4o-mini"', '"tavus-gpt-oss"'
    )
    assert fleet.read_text() == expected  # comments, quotes and layout kept
    assert load_stack("dev", tmp_path).warnings == []
    again, out, _ = invoke("models", "upgrade", "--root", str(tmp_path))
    assert again == 0 and "No PAL or default is on a deprecated model" in out


def test_upgrade_flags_a_prompt_the_new_model_cannot_take(tmp_path: Path) -> None:
    write_stack(tmp_path, coach_model="tavus-glm-4.7", prompt="x" * 160_000)
    (tmp_path / "models.yaml").write_text(
        "models:\n  tavus-glm-4.7: {status: deprecated, replacement: tavus-gpt-oss}\n"
        "default_model: tavus-gpt-oss\n"
    )

    code, out, _ = invoke("models", "upgrade", "--root", str(tmp_path), "--format", "json")

    report = json.loads(out)["stacks"][0]
    assert code == 2
    # tavus-gpt-4o -> tavus-glm-4.7, itself deprecated here: the chain ends at tavus-gpt-oss.
    assert [(m["where"], m["new"]) for m in report["moves"]] == [
        ("defaults.layers.llm.model", "tavus-gpt-oss"),
        ("pals.coach.layers.llm.model", "tavus-gpt-oss"),
    ]
    flags = report["prompt_flags"]
    assert any("pals.coach" in flag and "32,000 token ceiling" in flag for flag in flags)
    assert not any("pals.story" in flag for flag in flags)


def test_the_provider_check_knows_the_project_catalog_of_its_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi runs the provider in the project directory: stacks/models.yaml applies there."""
    from pal_provider.provider.pal import PalProvider

    spec = {
        "pal_name": "New model",
        "system_prompt": "Be brief.",
        "default_face_id": "rf4703150052",
        "layers": {"llm": {"model": "tavus-gemma-5"}},
    }
    props = {"logical_name": "new", "spec": spec, "secrets": {}, "settings": {}}
    monkeypatch.chdir(tmp_path)
    refused = PalProvider().check({}, props).failures
    assert any("tavus-gemma-5" in failure.reason for failure in refused)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "models.yaml").write_text(
        "models:\n  tavus-gemma-5: {status: available}\n"
    )
    assert PalProvider().check({}, props).failures == []
