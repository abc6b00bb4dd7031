"""The exception tree of the PAL API client.

Every failure the client raises is a :class:`PalApiError`. Subclasses name what happened so
callers can decide without parsing messages. All text carried by an error (message, ``detail``)
has been through :func:`pal_provider.api._redact.redact` before the error is built: no API key,
no secret of the request, no unbounded server body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class PalApiError(Exception):
    """A call to the PAL API failed.

    ``status`` is the HTTP status (``None`` when no response arrived), ``method`` and ``path``
    name the call, ``detail`` is the server's own (redacted) message when it sent one.
    ``replayed`` is true when an earlier attempt of the same operation may already have been
    applied by the server (the error answers a retry, not the first request).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        detail: str | None = None,
        replayed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.detail = detail
        self.replayed = replayed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, "
            f"path={self.path!r}, detail={self.detail!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default Exception pickling; the Pulumi
        # dynamic provider may ship errors across processes.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[PalApiError], state: dict[str, Any]) -> PalApiError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class NotFound(PalApiError):
    """The PAL or tool does not exist (404, or the API's 400 ``Invalid pal_id``)."""


class NotAttached(NotFound):
    """Detaching a tool that is not attached to the PAL (400 ``Tool not attached``)."""


class ValidationFailed(PalApiError):
    """The server rejected the request body (400); ``detail`` carries its message."""


class InvalidPatch(PalApiError):
    """The server rejected a JSON Patch (422): malformed, bad pointer or failed ``test``."""


class MakerDraftConflict(PalApiError):
    """409 ``maker_changes``: a human has unpublished PAL Maker edits on this PAL."""


class Unauthorized(PalApiError):
    """401/403: the API key was missing or rejected."""


class RateLimited(PalApiError):
    """429 after every allowed retry; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(PalApiError):
    """5xx after every allowed retry (the body may not be JSON)."""


class RequestTimeout(PalApiError):
    """No answer in time, after every allowed retry (or the operation deadline passed)."""


class ConnectionFailed(PalApiError):
    """The connection could not be established or broke, after every allowed retry."""


class UnexpectedResponse(PalApiError):
    """A success status with a body the client cannot read (not JSON, wrong shape)."""


class OutcomeUnknown(PalApiError):
    """A request that is not safe to repeat may or may not have been applied.

    Raised instead of retrying a create (or a non-idempotent patch) when the request may have
    reached the server: timeout after sending, connection dropped after sending, or a 5xx
    answer. ``name`` is the name field of the request body (``pal_name`` / tool ``name``),
    ``sent_at`` the UTC time the ambiguous attempt was sent: look the object up by name,
    created at or after ``sent_at``, to learn whether it exists.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        sent_at: datetime | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.name = name
        self.sent_at = sent_at

    def __repr__(self) -> str:
        return (
            f"OutcomeUnknown(method={self.method!r}, path={self.path!r}, name={self.name!r}, "
            f"sent_at={self.sent_at!r}, status={self.status!r})"
        )


__all__ = [
    "ConnectionFailed",
    "InvalidPatch",
    "MakerDraftConflict",
    "NotAttached",
    "NotFound",
    "OutcomeUnknown",
    "PalApiError",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "Unauthorized",
    "UnexpectedResponse",
    "ValidationFailed",
]
