"""Running the emulator: ``palfleet emulator`` and ``python -m pal_emulator``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
from pal_emulator.seed_data import STOCK_PALS
from typer.testing import CliRunner

from pal_provider.cli import app

ANNOUNCEMENT = re.compile(r"^palfleet emulator listening on (http://127\.0\.0\.1:\d+)$")


def _run_and_probe(args: list[str]) -> tuple[str, list[str]]:
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().rstrip("\n")
        match = ANNOUNCEMENT.match(first)
        assert match, first
        root = match.group(1)
        for _ in range(200):
            try:
                if httpx.get(root + "/_emulator/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        response = httpx.get(root + "/v2/pals", headers={"x-api-key": "emulator-key"})
        assert response.status_code == 200
        assert response.json()["total_count"] == len(STOCK_PALS)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout is not None
    out = process.stdout.read()  # not communicate(): it would skip what readline() buffered
    process.stdout.close()
    return first, out.splitlines()


def test_python_dash_m_with_default_key() -> None:
    _, rest = _run_and_probe([sys.executable, "-m", "pal_emulator", "--port", "0"])
    assert any("emulator-key" in line and "not a real secret" in line for line in rest)


def test_palfleet_emulator_command() -> None:
    script = Path(sys.executable).with_name("palfleet")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from pal_provider.cli import main; main()"]
    )
    _run_and_probe([*command, "emulator", "--port", "0", "--api-key", "emulator-key"])


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["emulator", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--api-key", "--db", "--seed", "--no-seed"):
        assert option in result.output
