"""Helpers for declaration tests: a CLI app holding only `validate`, and a stack writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from pal_provider.cli import validate as validate_cli

MINIMAL_FLEET = """\
bindings:
  api_base_url: https://tavusapi.com/v2
  faces:
    coach: r1c0ac4e5a01
pals:
  coach:
    face: coach
    system_prompt: Be kind and brief.
"""


def _validate_app() -> typer.Typer:
    # A callback keeps `validate` a sub-command even when it is the only one registered.
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """palfleet (test app)."""

    validate_cli.register(app)
    return app


@pytest.fixture(scope="session")
def run_validate() -> Callable[..., Result]:
    app = _validate_app()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["validate", *args])

    return run


@pytest.fixture()
def write_stack(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write `text` as stacks/<name>/fleet.yaml under tmp_path; returns the stacks root."""
    root = tmp_path / "stacks"

    def write(name: str, text: str) -> Path:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "fleet.yaml").write_text(text, encoding="utf-8")
        (root / f"Pulumi.{name}.yaml").write_text("config: {}\n", encoding="utf-8")
        return root

    return write
