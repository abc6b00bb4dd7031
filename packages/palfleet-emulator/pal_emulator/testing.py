"""Emulator fixtures: one emulator subprocess per session, fresh state per test.

* ``emulator_server`` (session): ``python -m pal_emulator --port 0 --api-key test-key``.
* ``emulator`` (function): the same server after reset + cleared faults + cleared
  request log, as a ``RunningEmulator``.
* ``start_emulator_process`` (function): a factory for extra, independent emulators
  (e.g. with ``--db`` for restart tests); every one started is stopped at teardown.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pal_emulator.control import EmulatorControl
from pal_emulator.process import EmulatorProcess, start_emulator

TEST_API_KEY = "test-key"


@dataclass
class RunningEmulator:
    root_url: str
    api_key: str
    control: EmulatorControl

    @property
    def base_url(self) -> str:
        return self.root_url + "/v2"

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorProcess]:
    process = start_emulator(api_key=TEST_API_KEY)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorProcess) -> Iterator[RunningEmulator]:
    control = EmulatorControl(emulator_server.root_url)
    control.reset(seed=True, faults=True, requests=True)
    try:
        yield RunningEmulator(emulator_server.root_url, emulator_server.api_key, control)
    finally:
        control.close()


StartEmulator = Callable[..., EmulatorProcess]


@pytest.fixture
def start_emulator_process() -> Iterator[StartEmulator]:
    """``start(db=Path | None, api_key="test-key", seed=True) -> EmulatorProcess``."""
    started: list[EmulatorProcess] = []

    def start(
        *, db: Path | None = None, api_key: str = TEST_API_KEY, seed: bool = True
    ) -> EmulatorProcess:
        process = start_emulator(api_key=api_key, db=db, seed=seed)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


def free_port() -> int:
    """A port nothing listens on at the moment (127.0.0.1), for servers a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
