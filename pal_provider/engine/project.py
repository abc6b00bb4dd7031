"""Reading a Pulumi project the way the CLI does: ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``.

* ``main`` (default: the project directory) names the program file, or a directory holding
  ``__main__.py``;
* stack config lives in ``<stackConfigDir or project dir>/Pulumi.<stack>.yaml`` under ``config:``;
  values are strings to the program (booleans as ``true``/``false``, objects as JSON);
* project-level ``config:`` entries with a ``default`` apply when the stack does not set the key;
* keys without a namespace belong to the project (``key`` -> ``<project>:key``).

``secure:`` values in a stack file are encrypted by the Pulumi CLI's secrets provider, which
the stand-in does not implement: such keys must be given explicitly as secrets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


class ProjectError(ValueError):
    """The project or stack files are missing or malformed."""


class Project(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    directory: Path
    main: Path
    stack_config_dir: Path
    config_defaults: dict[str, str]


class StackConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    values: dict[str, str]
    secure_keys: frozenset[str]


def _load_yaml(path: Path) -> Any:
    try:
        return YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as error:
        raise ProjectError(f"cannot read {path}: {error}") from error


def config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def namespaced(key: str, project_name: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def load_project(directory: Path) -> Project:
    directory = Path(directory).resolve()
    project_file = directory / "Pulumi.yaml"
    if not project_file.is_file():
        raise ProjectError(f"no Pulumi.yaml in {directory} (pass the project directory)")
    document = _load_yaml(project_file)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ProjectError(f"{project_file}: 'name' is required")
    name: str = document["name"]
    main = directory / str(document.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ProjectError(f"{project_file}: the program {main} does not exist (check 'main')")
    stack_dir = directory / str(document.get("stackConfigDir") or ".")
    defaults: dict[str, str] = {}
    for key, spec in (document.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            defaults[namespaced(str(key), name)] = config_string(spec["default"])
    return Project(
        name=name,
        directory=directory,
        main=main,
        stack_config_dir=stack_dir,
        config_defaults=defaults,
    )


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Plain values and the keys stored as Pulumi-encrypted ``secure:`` values."""
    path = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return StackConfig(values={}, secure_keys=frozenset())
    document = _load_yaml(path) or {}
    if not isinstance(document, dict):
        raise ProjectError(f"{path}: expected a mapping with a 'config' key")
    values: dict[str, str] = {}
    secure: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        full_key = namespaced(str(key), project.name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.add(full_key)
        else:
            values[full_key] = config_string(value)
    return StackConfig(values=values, secure_keys=frozenset(secure))
