"""The Pulumi dynamic providers of palfleet: its public surface.

``PalResource`` (``pulumi-python:dynamic/tavus:Pal``), ``ToolResource``
(``pulumi-python:dynamic/tavus:Tool``), ``GuardrailResource`` (``...:Guardrail``) and
``ObjectivesResource`` (``...:Objectives``) are what a program registers. Their providers are
pickled into every resource's state by class path, so ``pal_provider.provider.pal.PalProvider``
``pal_provider.provider.tool.ToolProvider`` and ``pal_provider.provider.records.GuardrailProvider``
/ ``ObjectivesProvider`` stay importable at those paths for good.

Inside: ``base`` (what both providers share), ``pal`` / ``tool`` (the protocol glue),
``pal_lifecycle`` (a PAL's create, update and read), ``reconcile`` / ``tool_reconcile`` (the
API work), ``attachments``, ``leftovers`` (interrupted creates), ``state`` / ``tool_state``
(inputs and outputs), ``unknowns`` (preview values), ``failures`` (what the user reads),
``settings`` / ``connection`` (credentials, read in ``configure()``).

Names load on first use: the server unpickles one provider class by its module path and should
not load the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pal_provider.core.lazy import lazy_exports

if TYPE_CHECKING:
    from pal_provider.provider.failures import ReconcileError
    from pal_provider.provider.pal import PAL_TYPE_TOKEN, PalProvider, PalResource
    from pal_provider.provider.records import (
        GUARDRAIL_TYPE_TOKEN,
        OBJECTIVES_TYPE_TOKEN,
        GuardrailProvider,
        GuardrailResource,
        ObjectivesProvider,
        ObjectivesResource,
    )
    from pal_provider.provider.settings import ProviderSettings, split_config_key
    from pal_provider.provider.tool import TOOL_TYPE_TOKEN, ToolProvider, ToolResource

_EXPORTS = {
    "ReconcileError": "failures",
    "PAL_TYPE_TOKEN": "pal",
    "PalProvider": "pal",
    "PalResource": "pal",
    "GUARDRAIL_TYPE_TOKEN": "records",
    "OBJECTIVES_TYPE_TOKEN": "records",
    "GuardrailProvider": "records",
    "GuardrailResource": "records",
    "ObjectivesProvider": "records",
    "ObjectivesResource": "records",
    "ProviderSettings": "settings",
    "split_config_key": "settings",
    "TOOL_TYPE_TOKEN": "tool",
    "ToolProvider": "tool",
    "ToolResource": "tool",
}

__all__ = [
    "GUARDRAIL_TYPE_TOKEN",
    "OBJECTIVES_TYPE_TOKEN",
    "PAL_TYPE_TOKEN",
    "TOOL_TYPE_TOKEN",
    "GuardrailProvider",
    "GuardrailResource",
    "ObjectivesProvider",
    "ObjectivesResource",
    "PalProvider",
    "PalResource",
    "ProviderSettings",
    "ReconcileError",
    "ToolProvider",
    "ToolResource",
    "split_config_key",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
