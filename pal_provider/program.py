"""The Pulumi program: one ``PalResource`` per declared PAL of the current stack.

``__main__.py`` calls :func:`run`. Validation happens here first, offline, so bad input
stops the deployment with readable findings before any remote write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from pal_provider.declaration import DesiredPal, ResolvedFleet, load_stack, resolve_fleet
from pal_provider.declaration.migration import MigrationPlan, plan_migration
from pal_provider.provider.pal import PalResource
from pal_provider.provider.settings import split_config_key
from pal_provider.provider.state import secret_pointers
from pal_provider.provider.tool import ToolResource

CONFIG_NAMESPACE = "palfleet"


class FleetDeclarationError(pulumi.RunError):  # type: ignore[misc]
    """Raised with every finding; Pulumi prints RunError messages without a traceback."""


def load(stack: str, root: Path) -> ResolvedFleet:
    result = load_stack(stack, root)
    for finding in result.warnings:
        pulumi.log.warn(finding.render(severity=False))
    if result.fleet is None or result.errors:
        lines = "\n".join(f"  {finding.render()}" for finding in result.errors)
        raise FleetDeclarationError(
            f"the fleet declaration of stack {stack!r} is invalid "
            f"(run `palfleet validate --stack {stack}`):\n{lines}"
        )
    return resolve_fleet(result.fleet, stack)


def _secret_inputs(pal: DesiredPal, stack: str) -> dict[str, Any]:
    return _secret_values(pal.body, f"PAL {pal.logical_name!r}", stack)


def _secret_values(body: dict[str, Any], what: str, stack: str) -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    missing: list[str] = []
    for pointer, key in secret_pointers(body).items():
        namespace, name = split_config_key(key)
        value = pulumi.Config(namespace).get_secret(name)
        if value is None:
            missing.append(key)
        else:
            secrets[pointer] = value
    if missing:
        commands = "; ".join(
            f"`pulumi config set --secret {key} <value> --stack {stack}`" for key in sorted(missing)
        )
        raise FleetDeclarationError(f"{what} refers to secret config that is not set: {commands}")
    return secrets


def migration_plan(fleet: ResolvedFleet) -> MigrationPlan:
    """The inline-tool migration of the opted-in PALs; clashes stop the run before any write."""
    plan = plan_migration(fleet)
    if plan.errors:
        lines = "\n".join(f"  {finding.render()}" for finding in plan.errors)
        raise FleetDeclarationError(
            f"the inline-tool migration of stack {fleet.stack!r} cannot proceed:\n{lines}"
        )
    for migration in plan.pals.values():
        pulumi.log.info(migration.describe())
    return plan


def register_tools(
    fleet: ResolvedFleet, plan: MigrationPlan, stack: str, base_url: str
) -> dict[str, ToolResource]:
    """One ToolResource per registry tool: declared ones, and the (shared) migrated ones."""
    declared = {name: tool.body for name, tool in fleet.tools.items()}
    migrated = {name: tool.body for name, tool in plan.tools.items()}
    return {
        name: ToolResource(
            name,
            spec=body,
            secrets=_secret_values(body, f"tool {name!r}", stack),
            api_base_url=base_url,
            api_key_config=fleet.api_key_config_key,
        )
        for name, body in sorted({**migrated, **declared}.items())
    }


def register(fleet: ResolvedFleet, stack: str) -> dict[str, PalResource]:
    return register_all(fleet, stack)[0]


def register_all(
    fleet: ResolvedFleet, stack: str
) -> tuple[dict[str, PalResource], dict[str, ToolResource]]:
    config = pulumi.Config(CONFIG_NAMESPACE)
    base_url = config.get("apiBaseUrl") or fleet.api_base_url
    plan = migration_plan(fleet)
    tools = register_tools(fleet, plan, stack, base_url)
    resources: dict[str, PalResource] = {}
    for name, pal in fleet.pals.items():
        migration = plan.pals.get(name)
        resources[name] = PalResource(
            name,
            spec=plan.body_for(pal),
            secrets=_secret_inputs(pal, stack),
            attached_tool_ids=[tools[tool].tool_id for tool in plan.attached_names(pal)],
            migrated_tool_names=migration.tool_names if migration else None,
            adopt_id=pal.adopt_id,
            force_maker_overwrite=pal.force,
            api_base_url=base_url,
            api_key_config=fleet.api_key_config_key,
        )
    return resources, tools


def run(root: Path | None = None) -> None:
    stack = pulumi.get_stack()
    project_root = root or Path.cwd()
    fleet = load(stack, project_root / "stacks")
    resources, tools = register_all(fleet, stack)
    pulumi.export("pal_ids", {name: res.pal_id for name, res in resources.items()})
    pulumi.export("tool_ids", {name: tool.tool_id for name, tool in tools.items()})
