"""docs/engine-fidelity.md stays true: every test a row names exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "engine-fidelity.md"


def test_every_pinning_test_named_in_the_fidelity_table_exists() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| ")][2:]
    assert len(rows) >= 20
    for row in rows:
        pinned = row.rstrip(" |").rsplit(" | ", 1)[-1]
        current_file = None
        for ref in re.findall(r"`([^`]+)`", pinned):
            path, _, test = ref.partition("::")
            if path.endswith(".py"):
                base = REPO_ROOT / "packages" / "palfleet-engine"
                current_file = (base if path.startswith("pal_engine_tests/") else REPO_ROOT) / path
                assert current_file.is_file(), f"{ref} (row: {row[:60]})"
            else:
                test, path = path, ""
            if test:
                assert current_file is not None, ref
                assert f"def {test}(" in current_file.read_text(), f"{ref} (row: {row[:60]})"
