"""What every palfleet command shares: exit codes, -h, --version, colour, one error style."""

from __future__ import annotations

import io

import pytest

from pal_provider import __version__
from pal_provider.cli import main, style


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ("plan", "--no-such-flag"),
        ("plan",),  # --stack is required
        ("promote", "dev"),  # TARGET missing
        ("no-such-command",),
        ("validate", "--stack", "dev", "--all"),
        ("models", "upgrade", "--format", "yaml", "--root", "/nonexistent"),
        ("llm", "check", "--stack", "dev", "--max-ttft", "fast"),
    ],
)
def test_usage_errors_exit_1_never_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert err.startswith("palfleet: ") and err.count("\n") == 1, err
    assert "Traceback" not in out + err


def test_version_and_short_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"palfleet {__version__}\n", "")
    code, out, _ = run(capsys, "-h")
    assert code == 0 and "plan" in out and "llm" in out and "models" in out
    code, out, _ = run(capsys, "plan", "-h")
    assert code == 0 and "--stack" in out


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    style.configure(no_color=False)
    assert style.paint("+ create coach\n", Terminal()) != "+ create coach\n"
    assert style.paint("+ create coach\n", io.StringIO()) == "+ create coach\n"
    monkeypatch.setenv("NO_COLOR", "1")
    assert style.paint("+ create coach\n", Terminal()) == "+ create coach\n"
    monkeypatch.delenv("NO_COLOR")
    style.configure(no_color=True)
    try:
        assert style.paint("+ create coach\n", Terminal()) == "+ create coach\n"
    finally:
        style.configure(no_color=False)
