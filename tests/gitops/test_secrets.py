"""No secret value (planted in env, live PALs, live tools, config) appears in any output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pal_provider.api import PalClient

from .conftest import HEADER_SECRET, PLANTED, Invoke, apply_fleet, resolved

CONFIG_SECRET = "cfg-PLANTED-ciphertext-93ab"


@pytest.fixture
def planted(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any, monkeypatch: Any
) -> list[str]:
    ids = apply_fleet(client, resolved(stack_root))
    emulator.control.edit_pal(
        ids["story"],
        {
            "layers": {
                "llm": {"headers": {"Authorization": HEADER_SECRET}},
                "tts": {"api_key": "tts-PLANTED-2c77"},
            }
        },
    )
    emulator.control.edit_pal(ids["coach"], {"greeting": "changed"})
    (stack_root / "Pulumi.dev.yaml").write_text(
        f"config:\n  palfleet:storyLlmApiKey:\n    secure: {CONFIG_SECRET}\n"
    )
    monkeypatch.setenv("PALFLEET_TEST_KEY", emulator.api_key)
    values = [v for v in PLANTED.values() if v != "unused"]
    return [*values, HEADER_SECRET, "hdr-PLANTED-4e1c", "tts-PLANTED-2c77", CONFIG_SECRET]


def test_no_command_prints_a_secret(palfleet: Invoke, planted: list[str], stack_root: Path) -> None:
    outputs: list[str] = []
    for command in ("plan", "drift"):
        for fmt in ("text", "markdown", "json"):
            result = palfleet(
                command, "--stack", "dev", "--format", fmt, "--api-key-env", "PALFLEET_TEST_KEY"
            )
            assert result.exit_code == 2, result.stderr
            outputs += [result.stdout, result.stderr]
    exported = stack_root / "exported.yaml"
    result = palfleet("export", "--stack", "dev", "--output", str(exported))
    outputs += [result.stdout, result.stderr, exported.read_text()]
    result = palfleet("export", "--stack", "dev")
    outputs += [result.stdout, result.stderr]
    joined = "\n".join(outputs)
    assert "[secret]" in joined or "[REDACTED]" in joined
    for secret in planted:
        assert secret not in joined, secret


def test_the_api_key_never_appears(palfleet: Invoke, planted: list[str], emulator: Any) -> None:
    for command in ("plan", "drift", "export"):
        result = palfleet(command, "--stack", "dev")
        assert emulator.api_key not in result.stdout + result.stderr
