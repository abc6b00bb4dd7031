"""Suite-wide fixtures. Feature fixtures live in tests/fixtures/ and are registered here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: the suite (and CI) runs a fixed, derandomized set of examples, so a run is
# reproducible; `HYPOTHESIS_PROFILE=explore scripts/test tests/core` searches further at random.
_PROPERTY_DEFAULTS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, derandomize=True, **_PROPERTY_DEFAULTS)
settings.register_profile("explore", max_examples=3000, **_PROPERTY_DEFAULTS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
