"""Client of the Tavus PAL API: ``PalClient``/``get_client``, its errors, tolerant parsing.

The HTTP policy (timeouts, retries, deadlines, error mapping, redaction) lives in the private
``_http`` module; this package exports only what callers need.

Names load on first use: the provider server answers Check and Diff, which need the errors and
the transport rule, before it needs the HTTP client (httpx).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pal_provider.core.lazy import lazy_exports

if TYPE_CHECKING:
    from pal_provider.api._http import Clock, RetryPolicy, SystemClock
    from pal_provider.api._redact import redact
    from pal_provider.api._transport import insecure_transport, is_loopback_host
    from pal_provider.api.client import (
        PalClient,
        PatchResult,
        close_all_clients,
        get_client,
        patch_is_replay_safe,
    )
    from pal_provider.api.errors import (
        ConnectionFailed,
        InvalidPatch,
        MakerDraftConflict,
        NotAttached,
        NotFound,
        OutcomeUnknown,
        PalApiError,
        RateLimited,
        RequestTimeout,
        ServerError,
        Unauthorized,
        UnexpectedResponse,
        ValidationFailed,
    )
    from pal_provider.api.wire import Page, normalize_pal, parse_timestamp

_EXPORTS = {
    "Clock": "_http",
    "RetryPolicy": "_http",
    "SystemClock": "_http",
    "insecure_transport": "_transport",
    "is_loopback_host": "_transport",
    "redact": "_redact",
    "PalClient": "client",
    "PatchResult": "client",
    "close_all_clients": "client",
    "get_client": "client",
    "patch_is_replay_safe": "client",
    "ConnectionFailed": "errors",
    "InvalidPatch": "errors",
    "MakerDraftConflict": "errors",
    "NotAttached": "errors",
    "NotFound": "errors",
    "OutcomeUnknown": "errors",
    "PalApiError": "errors",
    "RateLimited": "errors",
    "RequestTimeout": "errors",
    "ServerError": "errors",
    "Unauthorized": "errors",
    "UnexpectedResponse": "errors",
    "ValidationFailed": "errors",
    "Page": "wire",
    "normalize_pal": "wire",
    "parse_timestamp": "wire",
}

__all__ = [
    "Clock",
    "ConnectionFailed",
    "InvalidPatch",
    "MakerDraftConflict",
    "NotAttached",
    "NotFound",
    "OutcomeUnknown",
    "Page",
    "PalApiError",
    "PalClient",
    "PatchResult",
    "RateLimited",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "SystemClock",
    "Unauthorized",
    "UnexpectedResponse",
    "ValidationFailed",
    "close_all_clients",
    "get_client",
    "insecure_transport",
    "is_loopback_host",
    "normalize_pal",
    "parse_timestamp",
    "patch_is_replay_safe",
    "redact",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
