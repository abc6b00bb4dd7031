"""`palfleet validate` (pal_provider/cli/validate.py); kept with the declaration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from .conftest import MINIMAL_FLEET


def test_one_clean_stack_exits_0(
    write_stack: Callable[[str, str], Path], run_validate: Callable[..., Result]
) -> None:
    root = write_stack("dev", MINIMAL_FLEET)
    result = run_validate("--stack", "dev", "--root", str(root))
    assert result.exit_code == 0
    assert "dev: ok (0 error(s), 0 warning(s))" in result.output


def test_warnings_only_exit_0(
    write_stack: Callable[[str, str], Path], run_validate: Callable[..., Result]
) -> None:
    text = MINIMAL_FLEET + "    layers:\n      llm:\n        model: tavus-gpt-4o\n"
    root = write_stack("dev", text)
    result = run_validate("--stack", "dev", "--root", str(root))
    assert result.exit_code == 0
    assert "WARNING" in result.output and "pals.coach.layers.llm.model" in result.output


def test_all_fails_when_any_stack_has_an_error(
    write_stack: Callable[[str, str], Path], run_validate: Callable[..., Result]
) -> None:
    write_stack("dev", MINIMAL_FLEET)
    root = write_stack("prod", MINIMAL_FLEET.replace("face: coach\n", "face: coache\n"))
    result = run_validate("--all", "--root", str(root))
    assert result.exit_code == 1
    assert "dev: ok" in result.output and "prod: FAILED" in result.output
    assert "did you mean 'coach'?" in result.output


def test_default_is_all_stacks(
    write_stack: Callable[[str, str], Path], run_validate: Callable[..., Result]
) -> None:
    write_stack("dev", MINIMAL_FLEET)
    root = write_stack("qa", MINIMAL_FLEET)
    result = run_validate("--root", str(root))
    assert result.exit_code == 0
    assert "dev: ok" in result.output and "qa: ok" in result.output


def test_no_stacks_is_an_error(tmp_path: Path, run_validate: Callable[..., Result]) -> None:
    result = run_validate("--all", "--root", str(tmp_path))
    assert result.exit_code == 1 and "no stacks found" in result.output


def test_stack_and_all_together_are_a_usage_error(
    tmp_path: Path, run_validate: Callable[..., Result]
) -> None:
    result = run_validate("--stack", "dev", "--all", "--root", str(tmp_path))
    assert result.exit_code == 1


def test_missing_stack_exits_1_without_traceback(
    tmp_path: Path, run_validate: Callable[..., Result]
) -> None:
    result = run_validate("--stack", "qa", "--root", str(tmp_path))
    assert result.exit_code == 1
    assert "no fleet declaration" in result.output and "Traceback" not in result.output
