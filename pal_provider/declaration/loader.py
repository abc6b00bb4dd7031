"""`load_stack`: read `stacks/<stack>/fleet.yaml`, validate it, never raise for bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import catalog
from .findings import Finding, errors, join_path, warnings
from .migration import plan_migration
from .models import FleetDeclaration
from .renamed_fields import rename_older_fields
from .resolve import ResolvedFleet, resolve_fleet
from .schema_errors import describe_value, validation_findings
from .validate import validate_fleet
from .yaml_source import YamlSource, read_yaml, split_path

STACK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TOP_LEVEL_KEYS = "version, bindings, defaults, pals, tools, guardrails, objectives"


@dataclass
class LoadResult:
    stack: str
    fleet: FleetDeclaration | None = None
    findings: list[Finding] = field(default_factory=list)
    # The resolved fleet, when the rules that need it ran (the inline-tool migration's).
    resolved: ResolvedFleet | None = None

    @property
    def errors(self) -> list[Finding]:
        return errors(self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return warnings(self.findings)

    @property
    def ok(self) -> bool:
        return self.fleet is not None and not self.errors

    def resolved_fleet(self) -> ResolvedFleet:
        """The resolved fleet of a declaration without errors (resolved once, while loading)."""
        if self.resolved is None or self.errors:
            raise ValueError(f"the declaration of stack {self.stack!r} has errors")
        return self.resolved


def fleet_path(name: str, root: Path) -> Path:
    return root / name / "fleet.yaml"


def stack_config_path(name: str, root: Path) -> Path:
    return root / f"Pulumi.{name}.yaml"


def discover_stacks(root: Path) -> list[str]:
    """Stacks under `root`: directories holding a fleet.yaml, and Pulumi.<stack>.yaml files."""
    names: set[str] = set()
    if root.is_dir():
        names.update(p.parent.name for p in root.glob("*/fleet.yaml"))
        names.update(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
    return sorted(names)


def _finding(
    stack: str,
    file: Path,
    message: str,
    fix: str,
    *,
    path: str = "",
    line: int | None = None,
    severity: str = "error",
) -> Finding:
    return Finding(
        stack=stack,
        pal=None,
        path=path,
        severity=severity,
        message=message,
        fix=fix,
        file=str(file),
        line=line,
    )  # type: ignore[arg-type]


def unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a file cannot be read, in words (no exception class names)."""
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {error.start})"
    if isinstance(error, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or "the system refused to read it"


def _read(stack: str, file: Path) -> tuple[YamlSource | None, list[Finding]]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [
            _finding(
                stack,
                file,
                f"no fleet declaration for stack {stack!r}",
                f"create {file} (see docs/fleet-format.md)",
            )
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            _finding(
                stack,
                file,
                f"cannot read the file: {unreadable(exc)}",
                "make it a readable UTF-8 text file",
            )
        ]
    source = read_yaml(text)
    if source.problem is not None:
        return None, [
            _finding(
                stack,
                file,
                source.problem.message,
                "fix the YAML syntax at that line",
                line=source.problem.line,
            )
        ]
    if source.data is None:
        return None, [
            _finding(
                stack,
                file,
                "the file is empty",
                f"declare at least bindings: (keys: {TOP_LEVEL_KEYS})",
            )
        ]
    if not isinstance(source.data, dict):
        return None, [
            _finding(
                stack,
                file,
                f"the top level is {describe_value(source.data)}, not a mapping",
                f"write a mapping with the keys {TOP_LEVEL_KEYS}",
                line=1,
            )
        ]
    found = []
    for dup in source.duplicates:
        parts = dup.path
        pal = str(parts[1]) if len(parts) >= 2 and parts[0] == "pals" else None
        what = "PAL logical name" if len(parts) == 2 and parts[0] == "pals" else "key"
        found.append(
            Finding(
                stack=stack,
                pal=pal,
                path=join_path(parts),
                severity="error",
                message=f"duplicate {what} {parts[-1]!r} (first at line {dup.first_line})",
                fix="keep one entry; YAML would silently drop the other",
                file=str(file),
                line=dup.line,
            )
        )
    return source, found


def _check_stack_config(stack: str, root: Path) -> list[Finding]:
    file = stack_config_path(stack, root)
    if not file.exists():
        return [
            _finding(
                stack,
                file,
                "no Pulumi stack config file",
                f"create {file} (`pulumi stack init {stack}` does it)",
                severity="warning",
            )
        ]
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [
            _finding(
                stack,
                file,
                f"cannot read the Pulumi stack config: {unreadable(exc)}",
                f"make {file.name} a readable UTF-8 YAML file (`pulumi stack init {stack}` "
                "writes one)",
            )
        ]
    source = read_yaml(text)
    if source.problem is not None:
        return [
            _finding(
                stack,
                file,
                source.problem.message,
                "fix the YAML syntax at that line",
                line=source.problem.line,
            )
        ]
    data = source.data
    if data is None:
        return []
    if not isinstance(data, dict):
        return [
            _finding(
                stack,
                file,
                "a Pulumi stack config must be a mapping",
                "write `config:` with namespaced keys",
                line=1,
            )
        ]
    config = data.get("config", {})
    if config is not None and not isinstance(config, dict):
        return [
            _finding(
                stack,
                file,
                "config must be a mapping",
                "write `palfleet:apiBaseUrl: ...` style keys under config:",
                path="config",
                line=source.locate(("config",)),
            )
        ]
    return []


def _secret_refs_in(data: Any) -> dict[str, str]:
    """``{secret: key}`` references of a declaration: qualified config key -> its path."""
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if set(node) == {"secret"} and isinstance(node["secret"], str):
                key = node["secret"]
                found.setdefault(key if ":" in key else f"palfleet:{key}", path)
                return
            for child_key, child in node.items():
                walk(child, f"{path}.{child_key}" if path else str(child_key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}[{index}]")

    walk(data, "")
    return found


def _plain_text_secrets(stack: str, root: Path, fleet: YamlSource) -> list[Finding]:
    """A config key the declaration uses as a secret, set in plain text in the stack config
    (it must be a ``secure:`` value: `pulumi config set --secret` writes one)."""
    file = stack_config_path(stack, root)
    try:
        config_source = read_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []
    data = config_source.data
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        return []
    findings = []
    for key, used_at in sorted(_secret_refs_in(fleet.data).items()):
        value = config.get(key, config.get(key.removeprefix("palfleet:")))
        if value is None or (isinstance(value, dict) and set(value) == {"secure"}):
            continue
        findings.append(
            _finding(
                stack,
                file,
                f"{key} is set in plain text, but the declaration uses it as a secret ({used_at})",
                f"remove the line and run `pulumi config set --secret {key} <value> --stack "
                f"{stack}`; then rotate the secret, it was in plain text",
                path=f"config.{key}",
                line=config_source.locate(("config", key)),
            )
        )
    return findings


def _use_project_catalog(stack: str, root: Path) -> Finding | None:
    """Make ``<root>/models.yaml`` the project's catalog; a finding when it is not valid."""
    path = root / catalog.PROJECT_CATALOG_NAME
    catalog.use_project_catalog(path)
    try:
        catalog.load_catalog()
    except (catalog.CatalogError, OSError, UnicodeDecodeError) as exc:
        return _finding(
            stack,
            path,
            f"the project's model catalog cannot be used: {exc}",
            "fix the file (its format is the shipped catalog's, see docs/fleet-format.md) or "
            "remove it",
        )
    return None


def load_stack(
    name: str, root: Path = Path("stacks"), *, on_parsed: Callable[[Any], None] | None = None
) -> LoadResult:
    """The stack's declaration and every finding. ``on_parsed`` is called with the parsed
    document before it is validated (``plan`` starts its reads of the account then)."""
    result = LoadResult(stack=name)
    root = Path(root)
    file = fleet_path(name, root)
    if not STACK_NAME_RE.match(name):
        result.findings.append(
            _finding(
                name, file, f"stack name {name!r} is not allowed", "use letters, digits, ., _ and -"
            )
        )
        return result
    source, found = _read(name, file)
    result.findings.extend(found)
    if source is None:
        return result
    if on_parsed is not None:
        on_parsed(source.data)
    catalog_problem = _use_project_catalog(name, root)
    if catalog_problem is not None:
        result.findings.append(catalog_problem)
        return result
    config_findings = _check_stack_config(name, root)
    result.findings.extend(config_findings)
    if not errors(config_findings):
        result.findings.extend(_plain_text_secrets(name, root, source))
    data, renamed = rename_older_fields(source.data, name, str(file), source.locate)
    result.findings.extend(renamed)
    if errors(renamed):
        return result
    try:
        fleet = FleetDeclaration.model_validate(data)
    except ValidationError as exc:
        result.findings.extend(
            validation_findings(
                exc, FleetDeclaration, stack=name, file=str(file), locate=source.locate
            )
        )
        # Every finding in one run: check the rest of the file without the broken entries.
        rest = _without_broken_entries(data, exc)
        if rest is not None:
            for finding in validate_fleet(rest, name):
                line = source.locate(split_path(finding.path))
                result.findings.append(finding.model_copy(update={"file": str(file), "line": line}))
        return result
    result.fleet = fleet
    if isinstance(data, dict) and "pals" not in data:
        result.findings.append(
            _finding(
                name,
                file,
                "the file has no `pals:` key: applying it would delete every PAL of the stack",
                "declare the PALs under `pals:`, or write `pals: {}` to mean no PALs on purpose",
                path="pals",
                line=1,
            )
        )
    found = validate_fleet(fleet, name)
    if not errors(found):
        result.resolved = resolve_fleet(fleet, name)
        # Clashes between inline tools the stack migrates need the resolved fleet.
        found += plan_migration(result.resolved).findings
    for finding in found:
        line = source.locate(split_path(finding.path))
        result.findings.append(finding.model_copy(update={"file": str(file), "line": line}))
    return result


def _without_broken_entries(data: Any, error: ValidationError) -> FleetDeclaration | None:
    """The declaration without the PALs and tools whose shape is wrong, when the rest is
    well-formed (None otherwise): the semantic rules still run on what can be read."""
    if not isinstance(data, dict):
        return None
    broken: dict[str, set[str]] = {"pals": set(), "tools": set()}
    for problem in error.errors(include_input=False):
        location = problem["loc"]
        if len(location) >= 2 and location[0] in broken:
            broken[str(location[0])].add(str(location[1]))
        else:
            return None
    trimmed = dict(data)
    for section, names in broken.items():
        if isinstance(data.get(section), dict):
            trimmed[section] = {k: v for k, v in data[section].items() if k not in names}
    try:
        return FleetDeclaration.model_validate(trimmed)
    except ValidationError:
        return None
