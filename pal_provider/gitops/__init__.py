"""GitOps commands over the fleet declaration: plan, drift, export, promote.

One comparison engine (:func:`compare_fleet`) serves ``plan`` and ``drift``; every network
read goes through :mod:`pal_provider.api`; every comparison through :mod:`pal_provider.core`.
"""

from .compare import FleetComparison, PalComparison, ToolComparison, compare_fleet
from .export import ExportOptions, run_export
from .live import LiveAccount
from .plan import CommandOutput, PlanOptions, run
from .promote import PromoteOptions, run_promote

__all__ = [
    "CommandOutput",
    "ExportOptions",
    "FleetComparison",
    "LiveAccount",
    "PalComparison",
    "PlanOptions",
    "PromoteOptions",
    "ToolComparison",
    "compare_fleet",
    "run",
    "run_export",
    "run_promote",
]
