"""palfleet drift: the plan's comparison read from the live side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pal_provider.api import PalClient

from .conftest import ANNA, Invoke, apply_fleet, resolved


def test_clean_account_exits_0(palfleet: Invoke, client: PalClient, stack_root: Path) -> None:
    apply_fleet(client, resolved(stack_root))
    result = palfleet("drift", "--stack", "dev")
    assert result.exit_code == 0, result.stdout
    assert "no drift" in result.stdout


def test_reports_differences_missing_and_undeclared(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    emulator.control.edit_pal(ids["coach"], {"greeting": "Edited in the console"})
    client.delete_pal(ids["story"])
    stray = emulator.control.seed(
        pals=[{"pal_name": "Hand made", "system_prompt": "x", "default_face_id": ANNA}]
    )["pals"][0]
    result = palfleet("drift", "--stack", "dev")
    assert result.exit_code == 2
    assert f"~ differs coach ('Coach', {ids['coach']}): live -> declared" in result.stdout
    assert '- greeting: "Edited in the console"' in result.stdout
    assert "- missing live story ('Story')" in result.stdout
    assert f"? not declared 'Hand made' ({stray})" in result.stdout
    data = json.loads(palfleet("drift", "--stack", "dev", "--format", "json").stdout)
    assert data["command"] == "drift" and data["not_declared"] == [
        {"pal_id": stray, "pal_name": "Hand made"}
    ]


def test_undeclared_pal_alone_is_drift_but_not_a_plan_change(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    emulator.control.seed(
        pals=[{"pal_name": "Other", "system_prompt": "x", "default_face_id": ANNA}]
    )
    assert palfleet("drift", "--stack", "dev").exit_code == 2
    assert palfleet("plan", "--stack", "dev").exit_code == 0


def test_stock_pals_are_never_reported(
    palfleet: Invoke, client: PalClient, stack_root: Path
) -> None:
    apply_fleet(client, resolved(stack_root))
    result = palfleet("drift", "--stack", "dev")
    for stock in ("Tavus Researcher", "Echo Presenter", "pcb7a34da5fe"):
        assert stock not in result.stdout
