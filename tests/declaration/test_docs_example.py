"""The annotated example in docs/fleet-format.md is itself a valid declaration."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pal_provider.declaration import load_stack


def test_documented_example_validates(
    repo_root: Path, write_stack: Callable[[str, str], Path]
) -> None:
    doc = (repo_root / "docs" / "fleet-format.md").read_text(encoding="utf-8")
    section = doc.split("## A complete annotated example", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None
    root = write_stack("prod", match.group(1))
    result = load_stack("prod", root)
    assert result.errors == [], [f.render() for f in result.errors]
    assert result.fleet is not None and len(result.fleet.pals) == 4


def test_readme_example_validates(repo_root: Path, write_stack: Callable[[str, str], Path]) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    section = readme.split("A complete example", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match is not None
    root = write_stack("prod", match.group(1))
    result = load_stack("prod", root)
    assert result.errors == [], [f.render() for f in result.errors]
    assert result.fleet is not None
    assert sorted(result.fleet.pals) == ["storyteller", "wellness-coach"]
    assert sorted(result.fleet.tools) == ["log_mood"]
