"""Retry policy: what is repeated, how long it waits, when it stops, and what it never repeats."""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from pal_provider.api import (
    ConnectionFailed,
    OutcomeUnknown,
    PalClient,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServerError,
)
from pal_provider.api._http import parse_retry_after
from tests.api.conftest import START_WALL, FakeClock, Script, reply

PAL = {"pal_id": "p1", "pal_name": "alpha", "created_at": "2025-01-01T00:00:00Z"}
NEW_PAL = {"pal_name": "alpha", "default_face_id": "r1", "system_prompt": "hi"}


class UpperBoundRng(random.Random):
    """Full jitter always drawing its ceiling, so the exponential schedule itself is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_is_exponential_capped_and_drawn_from_zero(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=4.0, deadline=100)
    script = Script(*[reply(503)] * 4, reply(200, PAL))
    client = make_client(script, policy=policy, rng=UpperBoundRng())
    assert client.get_pal("p1")["pal_id"] == "p1"
    assert clock.sleeps == [1.0, 2.0, 4.0, 4.0]
    assert len(script.requests) == 5


def test_full_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    rng = random.Random(1)
    for retry in range(1, 8):
        ceiling = min(8.0, 0.5 * 2 ** (retry - 1))
        draws = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in draws)
        # full jitter: spread over the whole range, not clustered near the ceiling
        assert min(draws) < ceiling * 0.2
        assert max(draws) > ceiling * 0.8


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
def test_get_is_retried_after_transport_failures(
    make_client: Callable[..., PalClient], clock: FakeClock, failure: Exception
) -> None:
    script = Script(failure, reply(200, PAL))
    client = make_client(script)
    assert client.get_pal("p1") == PAL
    assert len(script.requests) == 2
    assert len(clock.sleeps) == 1


def test_timeouts_exhaust_into_request_timeout(make_client: Callable[..., PalClient]) -> None:
    script = Script(*[httpx.ReadTimeout("slow")] * 3)
    client = make_client(script, policy=RetryPolicy(max_attempts=3))
    with pytest.raises(RequestTimeout) as info:
        client.get_pal("p1")
    assert len(script.requests) == 3
    assert "3 attempt" in str(info.value)


def test_connection_failures_exhaust_into_connection_failed(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(*[httpx.ConnectError("refused")] * 2)
    client = make_client(script, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(ConnectionFailed):
        client.list_pals()
    assert len(script.requests) == 2


def test_server_errors_exhaust_into_server_error_marked_replayed(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(*[reply(500, "oops")] * 2)
    client = make_client(script, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(ServerError) as info:
        client.get_pal("p1")
    assert info.value.replayed
    assert info.value.detail == "oops"


def test_retry_after_seconds_is_honoured(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    script = Script(reply(429, headers={"Retry-After": "7"}), reply(200, PAL))
    make_client(script).get_pal("p1")
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    when = "Wed, 01 Jan 2025 00:00:12 GMT"  # 12 s after the fake wall clock's start
    script = Script(reply(429, headers={"Retry-After": when}), reply(200, PAL))
    make_client(script).get_pal("p1")
    assert clock.sleeps == [12.0]


def test_retry_after_is_capped(make_client: Callable[..., PalClient], clock: FakeClock) -> None:
    policy = RetryPolicy(retry_after_cap=30.0, deadline=120.0)
    script = Script(reply(503, headers={"Retry-After": "3600"}), reply(200, PAL))
    make_client(script, policy=policy).get_pal("p1")
    assert clock.sleeps == [30.0]


def test_retry_after_beyond_the_deadline_fails_at_once(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    policy = RetryPolicy(deadline=20.0, retry_after_cap=60.0)
    script = Script(reply(429, {"message": "slow down"}, headers={"Retry-After": "50"}))
    with pytest.raises(RateLimited) as info:
        make_client(script, policy=policy).get_pal("p1")
    assert info.value.retry_after == 50.0
    assert clock.sleeps == []
    assert len(script.requests) == 1


def test_rate_limits_exhaust_into_rate_limited(make_client: Callable[..., PalClient]) -> None:
    script = Script(*[reply(429, headers={"Retry-After": "1"})] * 2)
    with pytest.raises(RateLimited) as info:
        make_client(script, policy=RetryPolicy(max_attempts=2)).get_pal("p1")
    assert info.value.retry_after == 1.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("2.5", 2.5),
        ("Wed, 01 Jan 2025 00:01:00 GMT", 60.0),
        ("Tue, 31 Dec 2024 23:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, START_WALL) == expected


def test_overall_deadline_bounds_attempts_and_sleeps(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    policy = RetryPolicy(
        max_attempts=50, backoff_base=4.0, backoff_cap=8.0, deadline=17.0, min_attempt_time=0.5
    )
    started_at: list[float] = []

    def slow_failure(request: httpx.Request) -> httpx.Response:
        started_at.append(clock.monotonic())
        clock.advance(3.0)  # each attempt takes 3 s before the server answers 503
        return reply(503)

    script = Script(*[slow_failure] * 50)
    start = clock.monotonic()
    with pytest.raises(ServerError):
        make_client(script, policy=policy, rng=UpperBoundRng()).get_pal("p1")
    # attempt 1 at 0 s, sleep 4; attempt 2 at 7 s; the 8 s backoff is cut to 6.5 s so that
    # attempt 3 starts at 16.5 s with min_attempt_time left; after it nothing fits any more
    assert clock.sleeps == [4.0, 6.5]
    assert [t - start for t in started_at] == [0.0, 7.0, 16.5]
    assert all(t <= start + 17.0 - 0.5 for t in started_at)


def test_attempt_timeouts_are_cut_to_the_remaining_deadline(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    seen: list[dict[str, float]] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        clock.advance(9.0)
        return reply(503)

    policy = RetryPolicy(deadline=12.0, read_timeout=30.0, backoff_base=0.0)
    with pytest.raises(ServerError):
        make_client(Script(capture, capture), policy=policy).get_pal("p1")
    assert seen[0]["read"] == 12.0
    assert seen[1]["read"] == pytest.approx(3.0)


# -- requests that are not safe to repeat -------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ReadTimeout("no answer"),
        httpx.WriteTimeout("stalled while sending"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        reply(502, "<html>bad gateway</html>"),
        reply(500, {"error": "internal"}),
    ],
)
def test_create_is_never_repeated_once_it_may_have_arrived(
    make_client: Callable[..., PalClient], clock: FakeClock, answer: httpx.Response | Exception
) -> None:
    clock.advance(42.0)
    script = Script(answer)
    with pytest.raises(OutcomeUnknown) as info:
        make_client(script).create_pal(NEW_PAL)
    assert len(script.requests) == 1
    err = info.value
    assert err.name == "alpha"
    assert err.sent_at == START_WALL + timedelta(seconds=42)
    assert err.method == "POST"
    assert "alpha" in str(err)


def test_create_tool_outcome_unknown_carries_the_tool_name(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(httpx.ReadTimeout("no answer"))
    with pytest.raises(OutcomeUnknown) as info:
        make_client(script).create_tool({"name": "lookup_order", "description": "d"})
    assert info.value.name == "lookup_order"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "before_send",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.PoolTimeout("no free connection"),
    ],
)
def test_create_is_retried_when_the_failure_happened_before_sending(
    make_client: Callable[..., PalClient], before_send: Exception
) -> None:
    script = Script(before_send, reply(200, PAL))
    assert make_client(script).create_pal(NEW_PAL)["pal_id"] == "p1"
    assert len(script.requests) == 2


def test_create_is_retried_after_429(
    make_client: Callable[..., PalClient], clock: FakeClock
) -> None:
    script = Script(reply(429, headers={"Retry-After": "2"}), reply(200, PAL))
    assert make_client(script).create_pal(NEW_PAL)["pal_id"] == "p1"
    assert len(script.requests) == 2
    assert clock.sleeps == [2.0]


def test_create_connect_errors_exhaust_into_connection_failed(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(*[httpx.ConnectError("refused")] * 2)
    with pytest.raises(ConnectionFailed):
        make_client(script, policy=RetryPolicy(max_attempts=2)).create_pal(NEW_PAL)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)
    with pytest.raises(ValueError, match="8 concurrent"):
        RetryPolicy(max_connections=4)


# -- logging -------------------------------------------------------------------------------------


def test_each_attempt_is_logged_with_method_path_status_attempt_elapsed(
    make_client: Callable[..., PalClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="palfleet.http")
    script = Script(reply(503), reply(200, PAL))
    make_client(script).get_pal("p1")
    attempts = [r for r in caplog.records if r.name == "palfleet.http" and hasattr(r, "attempt")]
    done = [r for r in attempts if getattr(r, "http_status", None) is not None]
    assert [(r.http_method, r.http_path, r.http_status, r.attempt) for r in done] == [  # type: ignore[attr-defined]
        ("GET", "/pals/p1", 503, 1),
        ("GET", "/pals/p1", 200, 2),
    ]
    assert all(isinstance(r.elapsed, float) for r in done)  # type: ignore[attr-defined]
    retries = [r for r in attempts if "retrying" in r.getMessage()]
    # INFO: the user sees the outcome, not one warning line per attempt.
    assert retries and all(r.levelno == logging.INFO for r in retries)


def test_a_name_that_does_not_resolve_is_not_retried(
    make_client: Callable[..., PalClient],
) -> None:
    calls: list[httpx.Request] = []

    def unresolvable(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from exc

    with pytest.raises(ConnectionFailed, match="cannot resolve the host"):
        make_client(unresolvable).get_pal("p1")
    assert len(calls) == 1


def test_a_refused_connection_names_the_url_after_its_retries(
    make_client: Callable[..., PalClient],
) -> None:
    calls: list[httpx.Request] = []

    def refused(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise httpx.ConnectError("[Errno 111] Connection refused") from exc

    with pytest.raises(
        ConnectionFailed, match=r"nothing answers at https://api\.test/v2/ \(connection refused\)"
    ):
        make_client(refused).get_pal("p1")
    assert len(calls) == RetryPolicy().max_attempts
