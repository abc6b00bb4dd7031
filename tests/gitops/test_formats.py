"""``--format json`` of validate, export, promote and tools audit (schemas in formats.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pal_provider.api import PalClient

from .conftest import Invoke, apply_fleet, resolved, write_stack
from .test_promote import STAGING


def test_validate_json_lists_every_finding_with_its_place(
    palfleet: Invoke, stack_root: Path
) -> None:
    fleet = stack_root / "dev" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("face: anna", "face: nobody", 1))

    result = palfleet("validate", "--format", "json")

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["schema"] == "palfleet.validate/1" and data["ok"] is False
    [dev] = data["stacks"]
    error = next(f for f in dev["findings"] if f["severity"] == "error")
    assert error["file"].endswith("dev/fleet.yaml") and error["line"] > 0
    assert "nobody" in error["message"] and error["fix"]
    bad = palfleet("validate", "--stack", "dev", "--all", "--format", "json")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["schema"] == "palfleet.error/1"


def test_tools_audit_and_export_json(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    audit = palfleet(
        "tools", "audit", "--stack", "dev", "--format", "json", "--api-base-url", emulator.base_url
    )
    assert audit.exit_code == 0, audit.stderr
    report = json.loads(audit.stdout)
    assert report["schema"] == "palfleet.tools-audit/1" and report["clash"] is False

    exported = palfleet("export", "--stack", "dev", "--format", "json")
    assert exported.exit_code == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["schema"] == "palfleet.export/1" and data["ok"] is True
    assert "pals:" in data["declaration"] and data["output"] is None
    assert any("pulumi config set --secret" in note for note in data["notes"])


def test_promote_json_carries_the_diff_and_the_record(palfleet: Invoke, stack_root: Path) -> None:
    write_stack(stack_root, "staging", STAGING)
    dev = stack_root / "dev" / "fleet.yaml"
    dev.write_text(dev.read_text().replace("Tell short stories.", "Tell short, gentle stories."))

    result = palfleet("promote", "--unverified", "dev", "staging", "--format", "json")

    assert result.exit_code == 2, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "palfleet.promote/1" and data["changed"] and not data["written"]
    assert "+    system_prompt: Tell short, gentle stories." in data["diff"]
    assert data["record"]["verification"] == {"verified": False, "reason": "--unverified"}
    refused = palfleet("promote", "dev", "dev", "--format", "json")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"]["message"].startswith("SOURCE and TARGET")
