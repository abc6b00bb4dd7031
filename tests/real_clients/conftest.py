"""Run Tavus's own clients (installed in .venv-clients by scripts/client-env) against the
emulator on loopback. Every URL they could use, public and portal, points at the emulator."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pal_emulator.testing import RunningEmulator

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / ".venv-clients" / "bin"


def _clients_or_skip() -> None:
    if (CLIENTS / "tavus").exists():
        return
    message = "Tavus's clients are not installed: run scripts/client-env (scripts/test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self.stdout + self.stderr
        return json.loads(self.stdout)


Tavus = Callable[..., Ran]


def client_env(emulator: RunningEmulator, home: Path) -> dict[str, str]:
    return {
        "PATH": f"{CLIENTS}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "TAVUS_API_KEY": emulator.api_key,
        "TAVUS_PUBLIC_API_BASE_URL": emulator.base_url,
        "TAVUS_PORTAL_API_BASE_URL": emulator.root_url + "/portal-is-not-used",
        "TAVUS_DEV_PORTAL_URL": emulator.root_url + "/dev-portal-is-not-used",
        "TAVUS_PAL_MAKER_URL": emulator.root_url + "/maker-is-not-used",
        # A wide, plain terminal: rich wraps JSON output otherwise.
        "COLUMNS": "400",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }


def _runner(command: list[str], env: dict[str, str], cwd: Path) -> Callable[..., Ran]:
    def run(*args: str) -> Ran:
        done = subprocess.run(
            [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def tavus(emulator: RunningEmulator, tmp_path: Path) -> Tavus:
    """``tavus(*args)``: the official CLI (``tavus-cli`` 0.11.0), run as a user runs it."""
    _clients_or_skip()
    return _runner([str(CLIENTS / "tavus")], client_env(emulator, tmp_path), tmp_path)


@pytest.fixture
def client_python(emulator: RunningEmulator, tmp_path: Path) -> Callable[[str], Ran]:
    """Run a Python snippet in .venv-clients (``EMULATOR_URL``/``EMULATOR_KEY`` in its env)."""
    _clients_or_skip()
    env = {
        **client_env(emulator, tmp_path),
        "EMULATOR_URL": emulator.base_url,
        "EMULATOR_KEY": emulator.api_key,
    }
    run = _runner([str(CLIENTS / "python"), "-c"], env, tmp_path)
    return lambda code: run(code)
