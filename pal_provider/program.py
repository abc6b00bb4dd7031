"""The Pulumi program: one ``PalResource`` per declared PAL of the current stack.

``__main__.py`` calls :func:`run`. Validation happens here first, offline, so bad input
stops the deployment with readable findings before any remote write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from pal_provider.declaration import DesiredPal, ResolvedFleet, load_stack, resolve_fleet
from pal_provider.provider.pal import PalResource
from pal_provider.provider.settings import split_config_key
from pal_provider.provider.state import secret_pointers

CONFIG_NAMESPACE = "palfleet"


class FleetDeclarationError(pulumi.RunError):  # type: ignore[misc]
    """Raised with every finding; Pulumi prints RunError messages without a traceback."""


def load(stack: str, root: Path) -> ResolvedFleet:
    result = load_stack(stack, root)
    for finding in result.warnings:
        pulumi.log.warn(finding.render())
    if result.fleet is None or result.errors:
        lines = "\n".join(f"  {finding.render()}" for finding in result.errors)
        raise FleetDeclarationError(
            f"the fleet declaration of stack {stack!r} is invalid "
            f"(run `palfleet validate --stack {stack}`):\n{lines}"
        )
    return resolve_fleet(result.fleet, stack)


def _secret_inputs(pal: DesiredPal, stack: str) -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    missing: list[str] = []
    for pointer, key in secret_pointers(pal.body).items():
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
        raise FleetDeclarationError(
            f"PAL {pal.logical_name!r} refers to secret config that is not set: {commands}"
        )
    return secrets


def register(fleet: ResolvedFleet, stack: str) -> dict[str, PalResource]:
    config = pulumi.Config(CONFIG_NAMESPACE)
    base_url = config.get("apiBaseUrl") or fleet.api_base_url
    resources: dict[str, PalResource] = {}
    for name, pal in fleet.pals.items():
        resources[name] = PalResource(
            name,
            spec=pal.body,
            secrets=_secret_inputs(pal, stack),
            adopt_id=pal.adopt_id,
            force_maker_overwrite=pal.force,
            api_base_url=base_url,
            api_key_config=fleet.api_key_config_key,
        )
    return resources


def run(root: Path | None = None) -> None:
    stack = pulumi.get_stack()
    project_root = root or Path.cwd()
    fleet = load(stack, project_root / "stacks")
    resources = register(fleet, stack)
    pulumi.export("pal_ids", {name: res.pal_id for name, res in resources.items()})
