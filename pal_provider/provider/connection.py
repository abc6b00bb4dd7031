"""The API client a provider call uses, built from the resource's inputs and the stack settings."""

from __future__ import annotations

from pal_provider.api import PalClient, get_client
from pal_provider.provider.failures import ReconcileError
from pal_provider.provider.settings import MissingCredentials, ProviderSettings
from pal_provider.provider.state import ResourceSettings


def client_for(resource: ResourceSettings, stack: ProviderSettings) -> PalClient:
    """The pooled client for this resource's account; raises ``MissingCredentials``, or
    ``ReconcileError`` for a base URL the key must not be sent to (plain http to a host that
    is not loopback), before any request."""
    api_key = stack.api_key(resource.api_key_config)
    try:
        return get_client(stack.base_url(resource.api_base_url), api_key)
    except ValueError as exc:
        raise ReconcileError(str(exc)) from None


__all__ = ["MissingCredentials", "client_for"]
