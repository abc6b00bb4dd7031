"""Suite-wide fixtures. Feature fixtures live in tests/fixtures/ and are registered here."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"

pytest_plugins: list[str] = ["tests.fixtures.emulator"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DIR / "pal-api.md").is_file():
        pytest.fail(f"../shared is expected beside the repository (looked in {SHARED_DIR})")
    return SHARED_DIR
