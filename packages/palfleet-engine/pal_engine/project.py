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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


class ProjectError(ValueError):
    """The project or stack files are missing or malformed."""


class ConfigType(BaseModel):
    """One entry of ``Pulumi.yaml``'s ``config:`` block (``ProjectConfigType`` in the CLI)."""

    model_config = ConfigDict(frozen=True)

    type: str | None = None
    items_type: str | None = None
    secret: bool = False
    has_default: bool = False


class Project(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    directory: Path
    main: Path
    stack_config_dir: Path
    config_defaults: dict[str, str]
    config_types: dict[str, ConfigType] = {}


class StackConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    values: dict[str, str]
    secure_keys: frozenset[str]


def _load_yaml(path: Path) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(path.read_text())
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
    types: dict[str, ConfigType] = {}
    for key, spec in (document.get("config") or {}).items():
        full_key = namespaced(str(key), name)
        if isinstance(spec, dict) and ("type" in spec or "default" in spec or "value" in spec):
            for field in ("value", "default"):  # the CLI lets `default` win over `value`
                if field in spec:
                    defaults[full_key] = config_string(spec[field])
            items = spec.get("items")
            types[full_key] = ConfigType(
                type=spec.get("type"),
                items_type=items.get("type") if isinstance(items, dict) else None,
                secret=bool(spec.get("secret", False)),
                has_default=full_key in defaults,
            )
        else:  # shorthand: `key: value`
            defaults[full_key] = config_string(spec)
            types[full_key] = ConfigType(has_default=True)
    return Project(
        name=name,
        directory=directory,
        main=main,
        stack_config_dir=stack_dir,
        config_defaults=defaults,
        config_types=types,
    )


def validate_stack_config(
    project: Project, stack: str, values: Mapping[str, str], secure_keys: Iterable[str] = ()
) -> list[str]:
    """The CLI's checks of a stack's config against the project's ``config:`` block, before the
    program runs (``pkg/workspace/config.go``: ``mergeConfig`` and ``validateStackConfigValue``).

    * a key in the project's own namespace with neither default nor value, and not set on the
      stack, is missing (keys of other namespaces are never required);
    * a key declared ``secret: true`` must be set encrypted (``secure:``);
    * a typed key's value must parse as its type (``workspace.ValidateConfigValue``).

    Returns the CLI's error messages; empty when the stack may run.
    """
    secure = set(secure_keys)
    errors: list[str] = []
    missing = sorted(
        key
        for key, declared in project.config_types.items()
        if key not in values
        and key not in secure
        and not declared.has_default
        and key.partition(":")[0] == project.name
    )
    if missing:
        noun = "value" if len(missing) == 1 else "values"
        errors.append(
            f"Stack '{stack}' is missing configuration {noun} {', '.join(missing)}: set "
            + ("it" if len(missing) == 1 else "them")
            + " with `pulumi config set <key> <value>`"
        )
    for key, declared in sorted(project.config_types.items()):
        if key not in values and key not in secure:
            continue
        if declared.secret and key not in secure:
            errors.append(
                f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        if (
            declared.type is not None
            and key in values
            and not _has_type(values[key], declared.type, declared.items_type)
        ):
            shown = f"List<{declared.items_type}>" if declared.type == "array" else declared.type
            errors.append(
                f"Stack '{stack}' with configuration key '{key}' must be of type '{shown}'"
            )
    return errors


def _has_type(text: str, type_name: str, items_type: str | None) -> bool:
    """``workspace.ValidateConfigValue`` on a config value as the CLI holds it (a string, or
    JSON for objects and arrays)."""
    if type_name == "string":
        return True
    if type_name == "integer":
        try:
            int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return False
            return number.is_integer()
        return True
    if type_name == "boolean":
        return text in ("true", "false")
    try:
        value = json.loads(text)
    except ValueError:
        return False
    if type_name == "object":
        return isinstance(value, dict)
    if type_name == "array":
        if not isinstance(value, list):
            return False
        if items_type is None:
            return True
        return all(_has_type(config_string(item), items_type, None) for item in value)
    return True


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
