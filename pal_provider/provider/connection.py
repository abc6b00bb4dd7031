"""The API client a provider call uses, built from the resource's inputs and the stack settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pal_provider import api
from pal_provider.provider.failures import ReconcileError
from pal_provider.provider.settings import MissingCredentials, ProviderSettings
from pal_provider.provider.state import ResourceSettings

if TYPE_CHECKING:
    from pal_provider.api import PalClient


def client_for(resource: ResourceSettings, stack: ProviderSettings) -> PalClient:
    """The pooled client for this resource's account; raises ``MissingCredentials``, or
    ``ReconcileError`` for a base URL the key must not be sent to (plain http to a host that
    is not loopback), before any request."""
    api_key = stack.api_key(resource.api_key_config)
    try:
        # Looked up at call time: the HTTP client loads with the first request, not the import.
        return api.get_client(stack.base_url(resource.api_base_url), api_key)
    except ValueError as exc:
        raise ReconcileError(str(exc)) from None


__all__ = ["MissingCredentials", "client_for"]
