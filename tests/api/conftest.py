"""Fixtures for the API client tests: a fake clock and scripted MockTransport servers."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pal_provider.api import PalClient, RetryPolicy, close_all_clients

API_KEY = "tvs-live-7c1f9a2b4d6e8f00aa11"
BASE_URL = "https://api.test/v2"
START_WALL = datetime(2025, 1, 1, tzinfo=UTC)


class FakeClock:
    """Monotonic and wall time that only move when told to (or when slept on)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return START_WALL + timedelta(seconds=self.t - 1000.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering each request with the next scripted step."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected extra request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def reply(
    status: int, body: Any = None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., PalClient]]:
    made: list[PalClient] = []

    def build(
        handler: Callable[[httpx.Request], httpx.Response],
        *,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        **kw: Any,
    ) -> PalClient:
        client = PalClient(
            BASE_URL,
            API_KEY,
            transport=httpx.MockTransport(handler),
            policy=policy or RetryPolicy(),
            clock=clock,
            rng=rng or random.Random(7),
            **kw,
        )
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture(autouse=True)
def _forget_shared_clients() -> Iterator[None]:
    yield
    close_all_clients()
