"""Pulumi.yaml is checked against Pulumi's published project schema (no CLI on the build machines)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pal_engine.project import load_project, load_stack_config, validate_stack_config
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


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_passes_the_clis_config_rules(repo_root: Path, stack: str) -> None:
    """`pulumi preview` refuses a stack that misses a required project key before anything
    runs (pkg/workspace/config.go, mergeConfig); no shipped stack may depend on a value that
    only the demo or a test supplies."""
    project = load_project(repo_root)
    stack_config = load_stack_config(project, stack)
    assert (
        validate_stack_config(project, stack, stack_config.values, stack_config.secure_keys) == []
    )


def test_the_clis_config_rules_catch_a_required_key(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nconfig:\n"
        "  demo:url: {type: string}\n"
        "  demo:count: {type: integer, default: 3}\n"
        "  demo:token: {type: string, secret: true}\n"
        "  aws:region: {type: string}\n"
    )
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  demo:count: three\n  demo:token: x\n")
    project = load_project(tmp_path)
    stack_config = load_stack_config(project, "prod")
    errors = validate_stack_config(project, "prod", stack_config.values, stack_config.secure_keys)
    assert errors == [
        "Stack 'prod' is missing configuration value demo:url: set it with "
        "`pulumi config set <key> <value>`",
        "Stack 'prod' with configuration key 'demo:count' must be of type 'integer'",
        "Stack 'prod' with configuration key 'demo:token' must be encrypted as it's secret",
    ]
