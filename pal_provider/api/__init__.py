"""Client of the Tavus PAL API: ``PalClient``/``get_client``, its errors, tolerant parsing.

The HTTP policy (timeouts, retries, deadlines, error mapping, redaction) lives in the private
``_http`` module; this package exports only what callers need.
"""

from pal_provider.api._http import (
    Clock,
    RetryPolicy,
    SystemClock,
    insecure_transport,
    is_loopback_host,
)
from pal_provider.api._redact import redact
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
