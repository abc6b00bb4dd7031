"""HTTP policy of the PAL API client: the only module that decides how a request is sent.

It owns timeouts, retries (exponential backoff with full jitter), ``Retry-After``, the overall
deadline of an operation, the mapping of answers to named errors, redaction and logging.
:mod:`pal_provider.api.client` only says *what* to send and whether it is safe to repeat.

When is a request repeated?

* ``429``: always. The server refused the request, nothing was applied.
* Connection errors that provably happened before the request left (``ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout``): always, even for a create.
* Timeouts after sending, connections dropped after sending, ``5xx``: only when the request is
  ``idempotent``. Otherwise the server may have applied it and there is no idempotency key, so
  the operation stops with :class:`OutcomeUnknown` (the caller looks the object up).

Which requests are idempotent is the client's call, made per request. GET and DELETE are.
A merge PATCH of a tool is (same fields, same result). A JSON Patch is idempotent when replaying
it after it was applied ends in the same document: ``replace``, ``add`` and ``remove`` on object
members and whole values qualify (the reconciler generates only those), while ``test``, ``move``,
``copy`` and an ``add`` that appends to an array (``/-``) or inserts at an index do not (a replay
would double-insert, or fail a ``test`` that the first application made false). A replayed
idempotent patch can still be *answered* differently: ``304`` (nothing left to change) or ``422``
(a ``remove`` whose member is already gone). Responses and errors therefore carry ``replayed``
so the client can interpret them (see ``PalClient.patch_pal``).

Deadline: an operation never starts an attempt after ``policy.deadline`` seconds, never starts
one with less than ``policy.min_attempt_time`` left, and cuts each attempt's timeouts and each
backoff sleep to the time that remains. A server-requested wait (``Retry-After``, capped at
``policy.retry_after_cap``) that does not fit in the remaining time is not slept at all: the
operation fails at once, because retrying earlier than asked would only be refused again.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Protocol
from urllib.parse import urlencode

from pal_provider.api import errors
from pal_provider.api._redact import redact, secret_values

# httpx imports its optional command-line client whenever click, rich and pygments are installed
# (typer brings them along): about 40 ms, a fifth of the time the provider server spends before
# its first answer, twice per `pulumi up`, for code palfleet never runs. A None entry in
# sys.modules makes that optional import fail as it does when they are absent.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

log = logging.getLogger("palfleet.http")

_BEFORE_SEND = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(found) < 8:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _unresolvable(exc: httpx.TransportError) -> bool:
    """The host name does not resolve (``socket.gaierror`` under httpx's ConnectError)."""
    return isinstance(exc, httpx.ConnectError) and (
        any(isinstance(cause, socket.gaierror) for cause in _causes(exc))
        or "Name or service not known" in str(exc)
        or "nodename nor servname" in str(exc)
    )


def _refused(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.ConnectError) and (
        any(isinstance(cause, ConnectionRefusedError) for cause in _causes(exc))
        or "Connection refused" in str(exc)
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Numbers that govern timeouts and retries (all durations in seconds)."""

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0
    deadline: float = 60.0
    min_attempt_time: float = 0.5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    max_connections: int = 16
    max_keepalive_connections: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (1 means: no retry)")
        for name in ("backoff_base", "backoff_cap", "retry_after_cap", "min_attempt_time"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must not be negative")
        for name in ("deadline", "connect_timeout", "read_timeout", "write_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RetryPolicy.{name} must be a positive number of seconds")
        if self.max_connections < 8:
            raise ValueError("RetryPolicy.max_connections must allow 8 concurrent requests")

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full-jitter backoff before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling)


class Clock(Protocol):
    """Time as the HTTP layer sees it; tests inject a fake one."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class ApiRequest:
    """What to send. ``path`` is relative to the base URL, its segments already quoted."""

    method: str
    path: str
    params: Mapping[str, str | int] | None = None
    json: Any = None
    idempotent: bool = True
    name: str | None = None  # name field of a created object, for OutcomeUnknown


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    replayed: bool = False
    attempts: int = 1


@dataclass
class _Failure:
    """A retryable failure of one attempt; becomes the raised error if retries run out."""

    error: errors.PalApiError
    wait: float
    server_requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def default_user_agent() -> str:
    try:
        own = metadata.version("palfleet")
    except metadata.PackageNotFoundError:
        own = "unknown"
    return f"palfleet/{own} (+python-httpx/{httpx.__version__})"


def build_httpx_client(
    base_url: str,
    api_key: str,
    *,
    policy: RetryPolicy,
    transport: httpx.BaseTransport | None = None,
    user_agent: str | None = None,
) -> httpx.Client:
    """The pooled ``httpx.Client`` behind a ``PalClient`` (shareable between threads)."""
    agent = default_user_agent() if user_agent is None else f"{default_user_agent()} {user_agent}"
    return httpx.Client(
        base_url=base_url,
        transport=transport,
        headers={"x-api-key": api_key, "user-agent": agent, "accept": "application/json"},
        timeout=httpx.Timeout(
            connect=policy.connect_timeout,
            read=policy.read_timeout,
            write=policy.write_timeout,
            pool=policy.pool_timeout,
        ),
        limits=httpx.Limits(
            max_connections=policy.max_connections,
            max_keepalive_connections=policy.max_keepalive_connections,
        ),
        follow_redirects=False,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _server_message(body: Any) -> str | None:
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "msg"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, Mapping | list):
                return json.dumps(value, sort_keys=True)
    return None


def _read_body(response: httpx.Response) -> tuple[Any, str]:
    """(parsed JSON or None, raw text)."""
    text = response.text
    if not text.strip():
        return None, ""
    try:
        return json.loads(text), text
    except ValueError:
        return None, text


_NOT_FOUND_IDS = (
    "invalid pal_id",
    "invalid persona_id",
    "invalid tool_id",
    "invalid guardrail_id",
    "invalid objectives_id",
)


def _addresses_one_object(path: str) -> bool:
    segments = [s for s in path.split("?")[0].split("/") if s]
    return len(segments) >= 2


class HttpEngine:
    """Sends :class:`ApiRequest` s through one ``httpx.Client`` under a :class:`RetryPolicy`.

    Thread-safe: it keeps no per-request state on ``self``.
    """

    def __init__(
        self,
        client: httpx.Client,
        api_key: str,
        *,
        policy: RetryPolicy,
        clock: Clock,
        rng: random.Random,
    ) -> None:
        self._client = client
        self._api_key = api_key
        self.policy = policy
        self._clock = clock
        self._rng = rng

    # -- public ------------------------------------------------------------------------------

    def send(self, req: ApiRequest) -> ApiResponse:
        policy, clock = self.policy, self._clock
        secrets = (self._api_key, *secret_values(req.json))
        shown = self._display_path(req, secrets)
        started = clock.monotonic()
        deadline = started + policy.deadline
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - clock.monotonic()
            sent_at = clock.now()
            t0 = clock.monotonic()
            try:
                response = self._client.request(
                    req.method,
                    req.path,
                    params=dict(req.params) if req.params else None,
                    json=req.json,
                    timeout=self._attempt_timeout(remaining),
                )
            except httpx.TransportError as exc:
                elapsed = clock.monotonic() - t0
                before_send = isinstance(exc, _BEFORE_SEND)
                self._log(logging.DEBUG, req, shown, None, attempt, elapsed, type(exc).__name__)
                if not before_send and not req.idempotent:
                    what = (
                        "timed out waiting for the answer"
                        if isinstance(exc, httpx.TimeoutException)
                        else f"lost the connection after sending ({type(exc).__name__})"
                    )
                    raise self._outcome_unknown(req, shown, sent_at, what, None) from None
                failure = self._transport_failure(exc, req, shown, secrets, maybe_applied, attempt)
                if _unresolvable(exc):
                    raise failure.error from None  # a name that does not resolve will not on a retry
                maybe_applied = maybe_applied or not before_send
            else:
                elapsed = clock.monotonic() - t0
                status = response.status_code
                self._log(logging.DEBUG, req, shown, status, attempt, elapsed, None)
                if 200 <= status < 300 or status == 304:
                    return self._success(response, req, shown, maybe_applied, attempt)
                body, text = _read_body(response)
                if status == 429 or status >= 500:
                    if status >= 500 and not req.idempotent:
                        what = f"the server answered {status}"
                        raise self._outcome_unknown(req, shown, sent_at, what, status) from None
                    failure = self._status_failure(
                        response, body, text, req, shown, secrets, maybe_applied, attempt
                    )
                    maybe_applied = maybe_applied or status >= 500
                else:
                    raise map_error(
                        status, body, text, req.method, shown, secrets, replayed=maybe_applied
                    )
            wait = self._wait_within_deadline(failure, attempt, deadline)
            if wait is None:
                self._give_up(failure.error, attempt, clock.monotonic() - started)
                raise failure.error
            # INFO, not WARNING: a retry that succeeds is no news, and one that does not ends in
            # the error itself (a warning per attempt printed six lines before it).
            log.info(
                "%s %s failed (%s), retrying in %.2fs (attempt %d of %d)",
                req.method,
                shown,
                type(failure.error).__name__,
                wait,
                attempt,
                policy.max_attempts,
                extra={"http_method": req.method, "http_path": shown, "attempt": attempt},
            )
            clock.sleep(wait)

    # -- steps of send -----------------------------------------------------------------------

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        p = self.policy
        cut = max(remaining, 0.001)
        return httpx.Timeout(
            connect=min(p.connect_timeout, cut),
            read=min(p.read_timeout, cut),
            write=min(p.write_timeout, cut),
            pool=min(p.pool_timeout, cut),
        )

    def _wait_within_deadline(
        self, failure: _Failure, attempt: int, deadline: float
    ) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up now."""
        p = self.policy
        if attempt >= p.max_attempts:
            return None
        budget = deadline - self._clock.monotonic() - p.min_attempt_time
        if budget < 0:
            return None
        if failure.server_requested:
            return failure.wait if failure.wait <= budget else None
        return min(failure.wait, budget)

    def _success(
        self, response: httpx.Response, req: ApiRequest, shown: str, replayed: bool, attempt: int
    ) -> ApiResponse:
        body, text = _read_body(response)
        if text and body is None and response.status_code != 304:
            raise errors.UnexpectedResponse(
                f"{req.method} {shown}: the API answered {response.status_code} with a body "
                "that is not JSON",
                status=response.status_code,
                method=req.method,
                path=shown,
                detail=redact(text, secrets=(self._api_key,), limit=200),
            )
        return ApiResponse(response.status_code, body, replayed=replayed, attempts=attempt)

    def _transport_failure(
        self,
        exc: httpx.TransportError,
        req: ApiRequest,
        shown: str,
        secrets: tuple[str, ...],
        replayed: bool,
        attempt: int,
    ) -> _Failure:
        reason = redact(str(exc) or type(exc).__name__, secrets=secrets, limit=200)
        kw: dict[str, Any] = {"method": req.method, "path": shown, "replayed": replayed}
        error: errors.PalApiError
        host = self._client.base_url.host
        if isinstance(exc, httpx.TimeoutException):
            error = errors.RequestTimeout(
                f"{req.method} {shown}: no answer in time ({type(exc).__name__})", **kw
            )
        elif _unresolvable(exc):
            error = errors.ConnectionFailed(
                f"cannot resolve the host {host!r} of {self._client.base_url} (a typo in the API "
                "base URL, or no DNS)",
                **kw,
            )
        elif _refused(exc):
            error = errors.ConnectionFailed(
                f"nothing answers at {self._client.base_url} (connection refused)", **kw
            )
        else:
            error = errors.ConnectionFailed(
                f"{req.method} {shown}: connection failed ({type(exc).__name__}: {reason})", **kw
            )
        return _Failure(error, self.policy.backoff(attempt, self._rng))

    def _status_failure(
        self,
        response: httpx.Response,
        body: Any,
        text: str,
        req: ApiRequest,
        shown: str,
        secrets: tuple[str, ...],
        replayed: bool,
        attempt: int,
    ) -> _Failure:
        status = response.status_code
        error = map_error(status, body, text, req.method, shown, secrets, replayed=replayed)
        hint = parse_retry_after(response.headers.get("retry-after"), self._clock.now())
        if hint is not None:
            wait = min(hint, self.policy.retry_after_cap)
            if isinstance(error, errors.RateLimited):
                error.retry_after = hint
            return _Failure(error, wait, server_requested=True)
        return _Failure(error, self.policy.backoff(attempt, self._rng))

    def _outcome_unknown(
        self, req: ApiRequest, shown: str, sent_at: datetime, what: str, status: int | None
    ) -> errors.OutcomeUnknown:
        name = f" {req.name!r}" if req.name else ""
        message = (
            f"{req.method} {shown}{name}: outcome unknown, the request may or may not have been "
            f"applied ({what}; sent at {sent_at.isoformat()}). It was not repeated because it is "
            "not safe to repeat: look the object up"
            + (f" by name {req.name!r}" if req.name else "")
            + " before trying again."
        )
        log.warning(message, extra={"http_method": req.method, "http_path": shown})
        return errors.OutcomeUnknown(
            message,
            name=req.name,
            sent_at=sent_at,
            status=status,
            method=req.method,
            path=shown,
        )

    def _give_up(self, error: errors.PalApiError, attempts: int, elapsed: float) -> None:
        note = f" (gave up after {attempts} attempt(s) in {elapsed:.1f}s)"
        error.message += note
        error.args = (error.message,)

    def _display_path(self, req: ApiRequest, secrets: tuple[str, ...]) -> str:
        shown: str = redact(req.path, secrets=secrets, limit=None)
        if req.params:
            safe = redact({k: str(v) for k, v in req.params.items()}, secrets=secrets)
            shown += "?" + urlencode(safe)
        return shown

    def _log(
        self,
        level: int,
        req: ApiRequest,
        shown: str,
        status: int | None,
        attempt: int,
        elapsed: float,
        failure: str | None,
    ) -> None:
        log.log(
            level,
            "%s %s -> %s attempt=%d elapsed=%.3fs",
            req.method,
            shown,
            status if status is not None else failure,
            attempt,
            elapsed,
            extra={
                "http_method": req.method,
                "http_path": shown,
                "http_status": status,
                "attempt": attempt,
                "elapsed": elapsed,
            },
        )


def map_error(
    status: int,
    body: Any,
    text: str,
    method: str,
    path: str,
    secrets: tuple[str, ...],
    *,
    replayed: bool = False,
) -> errors.PalApiError:
    """The named error for a non-success answer. ``path`` must already be display-safe."""
    raw = _server_message(body)
    if raw is None:
        raw = text.strip() or None
    detail: str | None = redact(raw, secrets=secrets, limit=300) if raw is not None else None
    said = f": {detail}" if detail else ""
    kw: dict[str, Any] = {
        "status": status,
        "method": method,
        "path": path,
        "detail": detail,
        "replayed": replayed,
    }
    call = f"{method} {path}"
    lowered = (raw or "").lower()
    if status == 404 or (
        status == 400
        and (
            lowered.startswith(_NOT_FOUND_IDS)
            or ("not found" in lowered and _addresses_one_object(path))
        )
    ):
        return errors.NotFound(f"{call}: not found ({status}{said})", **kw)
    if status == 400 and "not attached" in lowered:
        return errors.NotAttached(f"{call}: the tool is not attached to this PAL{said}", **kw)
    if status == 400:
        return errors.ValidationFailed(f"{call}: the API rejected the request (400){said}", **kw)
    if status in (401, 403):
        return errors.Unauthorized(
            f"{call}: the API rejected the API key ({status}{said}). Check the key in "
            "TAVUS_API_KEY or the Pulumi config value palfleet:tavusApiKey.",
            **kw,
        )
    if status == 409 and isinstance(body, Mapping) and body.get("conflict") == "maker_changes":
        return errors.MakerDraftConflict(
            f"{call}: a human is editing this PAL in PAL Maker and has unpublished edits "
            "(409 maker_changes). Publish or discard the draft in PAL Maker, or overwrite it "
            "deliberately with force (which discards the human's edits).",
            **kw,
        )
    if status == 422:
        return errors.InvalidPatch(f"{call}: the API rejected the JSON Patch (422){said}", **kw)
    if status == 429:
        return errors.RateLimited(f"{call}: rate limited by the API (429){said}", **kw)
    if status >= 500:
        return errors.ServerError(f"{call}: server error {status}{said}", **kw)
    return errors.PalApiError(f"{call}: unexpected answer {status}{said}", **kw)
