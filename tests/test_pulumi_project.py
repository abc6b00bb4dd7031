"""Pulumi.yaml is checked against Pulumi's published project schema (no CLI on the build machines)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML


def test_pulumi_yaml_matches_the_published_schema(repo_root: Path, shared_dir: Path) -> None:
    schema = json.loads((shared_dir / "schemas" / "pulumi-project.schema.json").read_text())
    project = YAML(typ="safe").load((repo_root / "Pulumi.yaml").read_text())
    jsonschema.validate(project, schema)
    assert project["runtime"]["name"] == "python"
    assert (repo_root / project["stackConfigDir"]).is_dir()
    # No `main`: Pulumi runs the project directory, whose __main__.py is the program.
    assert "main" not in project
    assert (repo_root / "__main__.py").is_file()


def test_schema_rejects_a_broken_project(shared_dir: Path) -> None:
    schema = json.loads((shared_dir / "schemas" / "pulumi-project.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"runtime": "python"})), "a project without a name must fail"
