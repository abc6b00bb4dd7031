"""The Pulumi program: one ``PalResource`` per declared PAL of the current stack, and the
registry tools, guardrails and objective sets they use.

``__main__.py`` calls :func:`run`. Validation happens here first, offline, so bad input
stops the deployment with readable findings before any remote write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi

from pal_provider.core.masking import secret_refs
from pal_provider.declaration import ResolvedFleet, load_stack
from pal_provider.declaration.migration import MigrationPlan, plan_migration
from pal_provider.declaration.resolve import with_record_ids
from pal_provider.provider import (
    GuardrailResource,
    ObjectivesResource,
    PalResource,
    ToolResource,
    split_config_key,
)

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
    return result.resolved_fleet()


def secret_inputs(bodies: dict[str, dict[str, Any]], stack: str) -> dict[str, dict[str, Any]]:
    """The secret values of every body (keyed like ``bodies``), read before any resource is
    registered: a missing one stops the program before the first write, naming every key."""
    found: dict[str, dict[str, Any]] = {}
    missing: dict[str, list[str]] = {}
    for what, body in bodies.items():
        found[what] = {}
        for pointer, key in secret_refs(body).items():
            namespace, name = split_config_key(key)
            value = pulumi.Config(namespace).get_secret(name)
            if value is None:
                missing.setdefault(key, []).append(what)
            else:
                found[what][pointer] = value
    if missing:
        commands = "\n".join(
            f"  pulumi config set --secret {key} <value> --stack {stack}"
            f"    # used by {', '.join(users)}"
            for key, users in sorted(missing.items())
        )
        raise FleetDeclarationError(
            f"stack {stack!r} refers to secret config that is not set; nothing was changed. "
            f"Set it, then run again:\n{commands}\n"
            "  (with palfleet's engine stand-in, when no pulumi CLI is installed: put the values "
            "in a YAML file, `key: value` per line, and pass --secrets-file FILE)"
        )
    return found


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


def tool_bodies(fleet: ResolvedFleet, plan: MigrationPlan) -> dict[str, dict[str, Any]]:
    """Every registry tool by name: declared ones, and the (shared) migrated ones."""
    declared = {name: tool.body for name, tool in fleet.tools.items()}
    migrated = {name: tool.body for name, tool in plan.tools.items()}
    return dict(sorted({**migrated, **declared}.items()))


@dataclass(frozen=True)
class Registered:
    """Every resource the program registered, by logical name."""

    pals: dict[str, PalResource]
    tools: dict[str, ToolResource]
    guardrails: dict[str, GuardrailResource]
    objectives: dict[str, ObjectivesResource]

    def all(self) -> list[pulumi.CustomResource]:
        return [
            *self.guardrails.values(),
            *self.objectives.values(),
            *self.tools.values(),
            *self.pals.values(),
        ]


async def register_all(fleet: ResolvedFleet, stack: str) -> Registered:
    """Validate everything that can fail (migration clashes, missing secrets) first; then
    register one ToolResource per registry tool, one GuardrailResource / ObjectivesResource
    per record and one PalResource per PAL.

    The loop gets control after each PAL: the SDK sends a registration only once its task
    runs, so the engine starts checking the first PALs while the program builds the rest,
    instead of after all of them (constructing a resource costs the SDK 2-3 ms)."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    base_url = config.get("apiBaseUrl") or fleet.api_base_url
    plan = migration_plan(fleet)
    tools_by_name = tool_bodies(fleet, plan)
    pal_specs = {name: plan.body_for(pal) for name, pal in fleet.pals.items()}
    secrets = secret_inputs(
        {
            **{f"tool {name}": body for name, body in tools_by_name.items()},
            **{f"pal {name}": pal.body for name, pal in fleet.pals.items()},
        },
        stack,
    )
    tools = {
        name: ToolResource(
            name,
            spec=body,
            secrets=secrets[f"tool {name}"],
            api_base_url=base_url,
            api_key_config=fleet.api_key_config_key,
        )
        for name, body in tools_by_name.items()
    }
    guardrails = {
        name: GuardrailResource(
            name, spec=record.body, api_base_url=base_url, api_key_config=fleet.api_key_config_key
        )
        for name, record in fleet.guardrails.items()
    }
    objectives = {
        name: ObjectivesResource(
            name, spec=record.body, api_base_url=base_url, api_key_config=fleet.api_key_config_key
        )
        for name, record in fleet.objectives.items()
    }
    resources: dict[str, PalResource] = {}
    for name, pal in fleet.pals.items():
        migration = plan.pals.get(name)
        # This account's ids of the records it names: known once they exist, unknown in a
        # preview that creates them.
        spec = with_record_ids(
            replace(pal, body=pal_specs[name]),
            lambda g: guardrails[g].id,
            lambda o: objectives[o].id,
        )
        await asyncio.sleep(0)
        resources[name] = PalResource(
            name,
            spec=spec,
            secrets=secrets[f"pal {name}"],
            attached_tool_ids=[tools[tool].tool_id for tool in plan.attached_names(pal)],
            migrated_tool_names=migration.tool_names if migration else None,
            adopt_id=pal.adopt_id,
            force_maker_overwrite=pal.force,
            api_base_url=base_url,
            api_key_config=fleet.api_key_config_key,
        )
    return Registered(resources, tools, guardrails, objectives)


def run(root: Path | None = None) -> None:
    stack = pulumi.get_stack()
    project_root = root or Path.cwd()
    fleet = load(stack, project_root / "stacks")
    pulumi.run(lambda: reconcile(fleet, stack))


async def reconcile(fleet: ResolvedFleet, stack: str) -> None:
    """The program's async entrypoint (``pulumi.run``): register, export the ids, wait."""
    registered = await register_all(fleet, stack)
    pulumi.export("pal_ids", {name: res.pal_id for name, res in registered.pals.items()})
    pulumi.export("tool_ids", {name: tool.tool_id for name, tool in registered.tools.items()})
    if registered.guardrails:
        pulumi.export("guardrail_ids", {n: g.id for n, g in registered.guardrails.items()})
    if registered.objectives:
        pulumi.export("objectives_ids", {n: o.id for n, o in registered.objectives.items()})
    await settled(registered.all())


async def settled(resources: Iterable[pulumi.CustomResource]) -> None:
    """Wait until the engine has answered every registration, each awaited once.

    After the program, the SDK waits for its Outputs in ``wait_for_rpcs``
    (``pulumi/runtime/stack.py``) with ``asyncio.wait(..., FIRST_COMPLETED)`` over all that are
    pending, again after each completion: time quadratic in the fleet (about 25 s of a no-op
    ``up`` of 1,000 PALs). An async entrypoint (``pulumi.run``) runs before that loop; when it
    returns, the Outputs are resolved and the loop ends at once. Failures are left to the
    SDK, which reports them as before.
    """
    await asyncio.gather(*(resource.urn.future() for resource in resources), return_exceptions=True)
