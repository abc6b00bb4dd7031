"""Suite-wide fixtures. Feature fixtures live in tests/fixtures/ and are registered here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: the suite (and CI) runs a fixed, derandomized set of examples, so a run is
# reproducible; `HYPOTHESIS_PROFILE=explore scripts/test tests/core` searches further at random.
_SLOW_IS_FINE = [HealthCheck.too_slow]
settings.register_profile(
    "ci", max_examples=200, derandomize=True, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
settings.register_profile(
    "explore", max_examples=3000, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"

pytest_plugins: list[str] = ["pal_emulator.testing"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DIR / "pal-api.md").is_file():
        pytest.fail(f"../shared is expected beside the repository (looked in {SHARED_DIR})")
    return SHARED_DIR


@pytest.fixture(autouse=True)
def _shipped_model_catalog() -> Iterator[None]:
    """A test that loads a stack names that stack's catalog file; the next starts afresh."""
    yield
    from pal_provider.declaration import catalog

    catalog.use_project_catalog(None)
