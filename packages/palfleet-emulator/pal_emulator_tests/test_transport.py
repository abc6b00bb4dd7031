"""Fault injection: latency, error statuses, 429 + Retry-After, connection drops, scoping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator

from pal_emulator_tests.conftest import pal_body

MakePal = Callable[..., dict[str, Any]]


def test_status_fault_with_times(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.add_fault(method="GET", path="/v2/pals", status=503, times=2)
    assert api.get("/pals").status_code == 503
    assert api.get("/pals").status_code == 503
    assert api.get("/pals").status_code == 200
    rules = emulator.control.faults()
    assert rules[0]["fired"] == 2 and rules[0]["remaining"] == 0


def test_scoped_by_method_and_path(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal_id = make_pal()["pal_id"]
    emulator.control.add_fault(method="PATCH", path="/v2/pals/*", status=500)
    assert api.get(f"/pals/{pal_id}").status_code == 200
    assert api.patch(f"/pals/{pal_id}", json=[]).status_code == 500
    emulator.control.clear_faults()
    emulator.control.add_fault(path_regex=r"^/v2/tools", status=502)
    assert api.get("/tools").status_code == 502
    assert api.get("/pals").status_code == 200


def test_429_with_retry_after(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.add_fault(path="/v2/pals", retry_after=7, times=1)
    response = api.get("/pals")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert api.get("/pals").status_code == 200


def test_non_json_5xx_body(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.add_fault(status=502, body="<html>bad gateway</html>", times=1)
    response = api.get("/pals")
    assert response.status_code == 502 and response.text == "<html>bad gateway</html>"


def test_probability_is_seeded_and_reproducible(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    def run() -> list[int]:
        emulator.control.clear_faults()
        emulator.control.add_fault(path="/v2/pals", status=500, probability=0.5, seed=42)
        return [api.get("/pals").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 500 in first and 200 in first


def test_latency_does_not_block_other_requests(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    emulator.control.add_fault(path="/v2/tools", latency_ms=800)
    slow: dict[str, float] = {}

    def call_slow() -> None:
        started = time.perf_counter()
        with httpx.Client(base_url=emulator.base_url, headers=emulator.headers) as client:
            assert client.get("/tools").status_code == 200
        slow["elapsed"] = time.perf_counter() - started

    thread = threading.Thread(target=call_slow)
    thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert api.get("/pals").status_code == 200
    fast = time.perf_counter() - started
    thread.join()
    assert slow["elapsed"] >= 0.8
    assert fast < 0.5


def test_drop_before_writes_nothing(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.add_fault(method="POST", path="/v2/pals", drop="before", times=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("/pals", json=pal_body(pal_name="lost"))
    names = [p["pal_name"] for p in api.get("/pals", params={"pal_type": "user"}).json()["data"]]
    assert "lost" not in names
    log = emulator.control.requests()
    assert [e.fault for e in log.writes()] == ["drop-before"]


def test_drop_after_commits_the_write(emulator: RunningEmulator, api: httpx.Client) -> None:
    emulator.control.add_fault(method="POST", path="/v2/pals", drop="after", times=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("/pals", json=pal_body(pal_name="committed"))
    page = api.get("/pals", params={"pal_type": "user"}).json()
    assert [p["pal_name"] for p in page["data"]] == ["committed"]
    entry = emulator.control.requests().writes()[0]
    assert entry.status == 200 and entry.fault == "drop-after"


def test_fault_rule_validation(emulator: RunningEmulator) -> None:
    from pal_emulator.control import EmulatorError

    with pytest.raises(EmulatorError):
        emulator.control.add_fault(path="/v2/pals")  # no effect
    with pytest.raises(EmulatorError):
        emulator.control.add_fault(drop="before", status=500)
    rule = emulator.control.add_fault(status=500)
    emulator.control.remove_fault(rule)
    assert emulator.control.faults() == []


def test_controls_are_never_faulted(emulator: RunningEmulator) -> None:
    emulator.control.add_fault(status=500)
    emulator.control.reset(faults=False)
    assert len(emulator.control.faults()) == 1
