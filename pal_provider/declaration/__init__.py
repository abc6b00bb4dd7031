"""The Git-reviewable fleet declaration: models, offline validation, resolution.

See docs/fleet-format.md for the format.
"""

from __future__ import annotations

from .findings import Finding, Severity
from .loader import LoadResult, discover_stacks, load_stack
from .models import FleetDeclaration, PalIntent, SecretRef, ToolSpec
from .resolve import DesiredPal, DesiredTool, ResolutionError, ResolvedFleet, resolve_fleet
from .validate import validate_fleet, validate_pal_body

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
