"""`palfleet tools audit` against the emulator: per PAL, create / reuse / shared / clash."""

from __future__ import annotations

from pathlib import Path

import pytest
from pal_emulator.testing import RunningEmulator
from typer.testing import CliRunner

from pal_provider.cli import app
from tests.provider.tool_harness import FACES, fleet, inline, pal

FUNCTION = inline("lookup_product", "Look a product up.")


def test_audit_lists_inline_pals_and_what_the_migration_would_do(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    control = emulator.control
    control.seed(faces=[{"face_id": face, "face_name": name} for name, face in FACES.items()])
    base = {"default_face_id": FACES["coach"], "system_prompt": "Be brief."}
    legacy = {"layers": {"llm": {"tools": [FUNCTION, inline("get_pricing", "Price it.")]}}}
    control.seed(
        pals=[
            {**base, "pal_name": "First", **legacy},
            {**base, "pal_name": "Second", **legacy},
            {**base, "pal_name": "Clean"},
            {
                **base,
                "pal_name": "Watcher",
                "layers": {"perception": {"visual_tools": [inline("spot", "Spot.")]}},
            },
        ],
        tools=[
            {
                "name": "lookup_product",
                "description": "Look a product up.",
                "parameters": FUNCTION["function"]["parameters"],
                "on_resolve": "generate_response",
            },
            {"name": "spot", "description": "Something else."},
        ],
    )
    stacks = tmp_path / "stacks"
    (stacks / "dev").mkdir(parents=True)
    import json

    (stacks / "dev" / "fleet.yaml").write_text(json.dumps(fleet({"kind": pal("Be kind.")})))
    monkeypatch.setenv("AUDIT_KEY", emulator.api_key)
    control.clear_requests()

    result = CliRunner().invoke(
        app,
        [
            "tools",
            "audit",
            "--stack",
            "dev",
            "--root",
            str(stacks),
            "--api-key-env",
            "AUDIT_KEY",
            "--api-base-url",
            emulator.base_url,
        ],
    )

    out = result.stdout
    assert out, result.stderr
    assert result.exit_code == 1, out
    assert "3 PAL(s) still carry legacy inline tools" in out
    assert "'Clean'" not in out
    assert out.count("reuse    lookup_product") == 2
    assert "create   get_pricing" in out and "shared   get_pricing" in out
    assert "clash    spot [origin vision]" in out and '"Something else."' in out
    assert "Migration would: 1 clash, 1 create, 2 reuse, 1 shared." in out
    assert emulator.api_key not in out
    assert control.requests().writes() == []
