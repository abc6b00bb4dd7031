"""The layers stay apart, checked on every import statement (docs/ARCHITECTURE.md).

Nothing imports upward: ``core`` imports nothing else from palfleet, ``api`` only ``core``
(which owns the secret and pointer rules); the
declaration knows nothing of the provider, GitOps or the CLI; the emulator and the engine
stand-in are independent distributions that import nothing from the product (nor each other),
and the product imports neither (the CLI loads them by name, only for the commands that need
them, see ``pal_provider/cli/companions.py``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "pal_provider": REPO_ROOT / "pal_provider",
    "pal_emulator": REPO_ROOT / "packages" / "palfleet-emulator" / "pal_emulator",
    "pal_engine": REPO_ROOT / "packages" / "palfleet-engine" / "pal_engine",
}

# module prefix -> prefixes it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "pal_provider.core": ("pal_provider.",),
    "pal_provider.api": ("pal_provider.",),
    "pal_provider.declaration": (
        "pal_provider.provider",
        "pal_provider.gitops",
        "pal_provider.cli",
        "pal_provider.program",
    ),
    "pal_provider.provider": ("pal_provider.gitops", "pal_provider.cli", "pal_provider.program"),
    "pal_provider.gitops": ("pal_provider.cli", "pal_provider.program"),
    "pal_provider": ("pal_emulator", "pal_engine"),
    "pal_emulator": ("pal_provider", "pal_engine"),
    "pal_engine": ("pal_provider", "pal_emulator"),
}
ALLOWED_WITHIN = {
    "pal_provider.core": ("pal_provider.core",),
    "pal_provider.api": ("pal_provider.api", "pal_provider.core"),
}


def _module_name(package: str, path: Path) -> str:
    relative = path.relative_to(PACKAGES[package]).with_suffix("")
    parts = [package, *relative.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(module: str, path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                is_package = path.name == "__init__.py"
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                found.append(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.append(node.module)
    return found


def _all_imports() -> list[tuple[str, str]]:
    pairs = []
    for package, directory in PACKAGES.items():
        for path in sorted(directory.rglob("*.py")):
            module = _module_name(package, path)
            pairs += [(module, imported) for imported in _imports(module, path)]
    return pairs


def test_no_layer_imports_upward() -> None:
    pairs = _all_imports()
    assert len(pairs) > 300
    offenders = []
    for module, imported in pairs:
        for layer, forbidden in FORBIDDEN.items():
            if module != layer and not module.startswith(layer + "."):
                continue
            allowed = ALLOWED_WITHIN.get(layer, ())
            if any(imported == own or imported.startswith(own + ".") for own in allowed):
                continue
            if any(imported == f.rstrip(".") or imported.startswith(f) for f in forbidden):
                offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_the_products_runtime_dependencies_leave_the_companions_out() -> None:
    product = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names = {
        dependency.split(">")[0].split("=")[0].split("<")[0]
        for dependency in product["dependencies"]
    }
    assert names.isdisjoint(
        {"fastapi", "uvicorn", "cryptography", "jsonpatch", "deepdiff", "respx"}
    )


def test_the_product_works_without_the_emulator_and_the_engine(tmp_path: Path) -> None:
    """Every product module imports with both companions absent; the commands that need one
    say how to install it."""
    script = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['pal_emulator'] = None\n"
        "sys.modules['pal_engine'] = None\n"
        "import pal_provider\n"
        "for info in pkgutil.walk_packages(pal_provider.__path__, 'pal_provider.'):\n"
        "    if info.name != 'pal_provider.cli.__main__':\n"
        "        importlib.import_module(info.name)\n"
        "from pal_provider.cli import main\n"
        "sys.argv = ['palfleet', 'emulator']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "needs palfleet-emulator" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("package", ["pal_emulator", "pal_engine"])
def test_each_companion_imports_without_the_product(package: str) -> None:
    script = f"import sys\nsys.modules['pal_provider'] = None\nimport {package}\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
