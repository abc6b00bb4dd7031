"""Every broken declaration in corpus/ yields a clear error at the right field path.

Each corpus file starts with two header comments:
    # expect-path: <dotted field path, empty for whole-file problems>
    # expect-message: <fragment of the finding's message or fix>
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from pal_provider.declaration import load_stack

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.yaml"))
LEAK_MARKER = "DO-NOT-PRINT"


def _expectation(file: Path) -> tuple[str, str]:
    text = file.read_text(encoding="utf-8")
    path = re.search(r"^# expect-path: ?(.*)$", text, re.M)
    fragment = re.search(r"^# expect-message: (.+)$", text, re.M)
    assert path and fragment, f"{file.name} lacks its expect-path / expect-message header"
    return path.group(1).strip(), fragment.group(1).strip()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_broken_declaration_is_reported(
    case: Path, tmp_path: Path, run_validate: Callable[..., Result]
) -> None:
    expected_path, fragment = _expectation(case)
    (tmp_path / "broken").mkdir()
    shutil.copy(case, tmp_path / "broken" / "fleet.yaml")

    result = load_stack("broken", tmp_path)

    assert not result.ok
    matching = [
        f
        for f in result.errors
        if f.path == expected_path and fragment.lower() in f"{f.message} {f.fix}".lower()
    ]
    assert matching, "\n".join(f.render() for f in result.findings)
    assert all(f.stack == "broken" and f.fix for f in result.errors)

    cli = run_validate("--stack", "broken", "--root", str(tmp_path))
    assert cli.exit_code == 1, cli.output
    assert cli.exception is None or isinstance(cli.exception, SystemExit)
    assert "Traceback" not in cli.output
    assert LEAK_MARKER not in cli.output
    assert expected_path in cli.output
