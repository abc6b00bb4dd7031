"""The Git-reviewable fleet declaration: models, offline validation, resolution.

See docs/fleet-format.md for the format.

The names below are loaded on first use: the provider server imports a few submodules of this
package (the PAL rules, the migration of inline tools) and should not pay for the YAML loader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pal_provider.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .findings import Finding, Severity
    from .loader import LoadResult, discover_stacks, load_stack
    from .models import FleetDeclaration, PalIntent, SecretRef, ToolSpec
    from .resolve import DesiredPal, DesiredTool, ResolutionError, ResolvedFleet, resolve_fleet
    from .validate import validate_fleet, validate_pal_body

_EXPORTS = {
    "DesiredPal": "resolve",
    "DesiredTool": "resolve",
    "Finding": "findings",
    "FleetDeclaration": "models",
    "LoadResult": "loader",
    "PalIntent": "models",
    "ResolutionError": "resolve",
    "ResolvedFleet": "resolve",
    "SecretRef": "models",
    "Severity": "findings",
    "ToolSpec": "models",
    "discover_stacks": "loader",
    "load_stack": "loader",
    "resolve_fleet": "resolve",
    "validate_fleet": "validate",
    "validate_pal_body": "validate",
}

__all__ = [
    "DesiredPal",
    "DesiredTool",
    "Finding",
    "FleetDeclaration",
    "LoadResult",
    "PalIntent",
    "ResolutionError",
    "ResolvedFleet",
    "SecretRef",
    "Severity",
    "ToolSpec",
    "discover_stacks",
    "load_stack",
    "resolve_fleet",
    "validate_fleet",
    "validate_pal_body",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
