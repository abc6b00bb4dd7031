"""Fixtures for the engine stand-in tests: the sample project and one shared provider host.

Starting ``python -m pulumi.dynamic`` costs about half a second, so one host serves the whole
session; it is configured with a session-wide records directory (the dynamic server configures
a provider once per blob, so every engine sharing the host must agree on ``recordsDir``).
Each test uses its own checkpoint, so tests never see each other's resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pal_engine import Engine, ProviderHost

SAMPLE_PROJECT = Path(__file__).resolve().parent / "sample_project"
PASSWORD = "hunter2-planted-shelf-password"
PASSPHRASE = "correct horse battery staple"

EngineFactory = Callable[..., Engine]


@pytest.fixture(scope="session")
def records_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("records")


@pytest.fixture(scope="session")
def provider_host(records_dir: Path) -> Iterator[ProviderHost]:
    config = {"sample:recordsDir": str(records_dir), "sample:shelfPassword": PASSWORD}
    with ProviderHost(SAMPLE_PROJECT, "sample", config, secret_values=[PASSWORD]) as host:
        yield host


@pytest.fixture
def checkpoint_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "checkpoint.json"


@pytest.fixture
def make_engine(
    records_dir: Path, provider_host: ProviderHost, checkpoint_path: Path
) -> EngineFactory:
    """``make_engine(bookTitle="Emma", ...)``: an engine on this test's checkpoint with knobs."""

    def build(**knobs: str) -> Engine:
        config = {"recordsDir": str(records_dir), "shelfPassword": PASSWORD, **knobs}
        return Engine(
            SAMPLE_PROJECT,
            "dev",
            checkpoint_path,
            config,
            {"shelfPassword"},
            PASSPHRASE,
            provider_host=provider_host,
        )

    return build


def read_record(records_dir: Path, record_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((records_dir / f"{record_id}.json").read_text())
    return data
