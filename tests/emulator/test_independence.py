"""The emulator is an independent implementation: it imports nothing else from pal_provider."""

from __future__ import annotations

import ast
from pathlib import Path

import pal_provider.emulator as package

PACKAGE_DIR = Path(package.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_imports_from_the_rest_of_pal_provider() -> None:
    files = sorted(PACKAGE_DIR.glob("*.py"))
    assert len(files) > 10
    offenders = [
        (f.name, name)
        for f in files
        for name in _imports(f)
        if name.startswith("pal_provider") and not name.startswith("pal_provider.emulator")
    ]
    assert offenders == []


def test_relative_imports_stay_inside_the_package() -> None:
    for path in PACKAGE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{path.name} reaches outside the package"
