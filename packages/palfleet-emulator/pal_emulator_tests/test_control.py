"""The /_emulator controls through EmulatorControl: drafts, out-of-band edits, seed, request log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pal_emulator.control import EmulatorError
from pal_emulator.seed_data import STOCK_PALS
from pal_emulator.testing import RunningEmulator

from pal_emulator_tests.conftest import FACE, error_of, pal_body

MakePal = Callable[..., dict[str, Any]]
RENAME = [{"op": "replace", "path": "/pal_name", "value": "Renamed"}]


STOCK = len(STOCK_PALS)


def test_maker_draft_conflict_and_force(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal_id = make_pal()["pal_id"]
    emulator.control.set_maker_draft(pal_id, {"system_prompt": "human edit"})
    conflict = api.patch(f"/pals/{pal_id}", json=RENAME)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["conflict"] == "maker_changes" and body["message"]
    assert api.patch(f"/pals/{pal_id}", json=[]).status_code == 304  # conferencing-only (empty)
    assert api.get(f"/pals/{pal_id}").json()["pal_name"] == "Support"
    forced = api.patch(f"/pals/{pal_id}", json=RENAME, params={"force": "true"})
    assert forced.status_code == 200
    assert (
        forced.json()["discarded_maker_changes"] is True and forced.json()["pal_name"] == "Renamed"
    )
    after = api.patch(
        f"/pals/{pal_id}", json=[{"op": "replace", "path": "/pal_name", "value": "Again"}]
    )
    assert after.status_code == 200 and "discarded_maker_changes" not in after.json()


def test_conferencing_only_patch_is_never_409(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal_id = make_pal()["pal_id"]
    emulator.control.set_maker_draft(pal_id)
    ops = [{"op": "add", "path": "/layers/conferencing", "value": {"username": "desk1"}}]
    response = api.patch(f"/pals/{pal_id}", json=ops)
    assert response.status_code == 200 and "discarded_maker_changes" not in response.json()
    mixed = [*ops, {"op": "replace", "path": "/pal_name", "value": "x"}]
    assert api.patch(f"/pals/{pal_id}", json=mixed).status_code == 409  # the draft is still there
    emulator.control.clear_maker_draft(pal_id)
    assert api.patch(f"/pals/{pal_id}", json=RENAME).status_code == 200


def test_legacy_path_draft_conflict(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal_id = make_pal()["pal_id"]
    emulator.control.set_maker_draft(pal_id)
    assert api.patch(f"/personas/{pal_id}", json=RENAME).status_code == 409


def test_draft_on_unknown_pal(emulator: RunningEmulator) -> None:
    with pytest.raises(EmulatorError, match="Invalid pal_id"):
        emulator.control.set_maker_draft("p000000000000")


def test_out_of_band_edit_and_delete(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal = make_pal(greeting="hi")
    shown = emulator.control.edit_pal(
        pal["pal_id"],
        {"pal_name": "Drifted", "greeting": None, "layers": {"llm": {"model": "tavus-llama"}}},
    )
    live = api.get(f"/pals/{pal['pal_id']}").json()
    assert shown == live
    assert live["pal_name"] == "Drifted" and "greeting" not in live
    assert live["layers"]["llm"] == {"model": "tavus-llama", "speculative_inference": True}
    assert live["updated_at"] > pal["updated_at"]
    emulator.control.delete_pal(pal["pal_id"])
    assert error_of(api.get(f"/pals/{pal['pal_id']}")) == "Invalid pal_id"
    emulator.control.delete_pal("pcb7a34da5fe")  # system PALs too
    assert api.get("/pals", params={"pal_type": "system"}).json()["total_count"] == STOCK - 1


def test_out_of_band_conflicts_are_400(emulator: RunningEmulator, make_pal: MakePal) -> None:
    make_pal(layers={"conferencing": {"username": "taken"}})
    other = make_pal()["pal_id"]
    with pytest.raises(EmulatorError, match="400"):
        emulator.control.edit_pal(other, {"layers": {"conferencing": {"username": "taken"}}})


def test_seed_with_explicit_ids_timestamps_and_tools(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    ids = emulator.control.seed(
        tools=[{"tool_id": "tabcdefabcdef", "name": "seeded", "description": "d"}],
        faces=[{"face_name": "New face"}, {"face_id": "r0123456789a", "face_name": "Fixed"}],
        pals=[
            {
                **pal_body(),
                "pal_id": "p0123456789a",
                "created_at": "2024-01-01T00:00:00.000000Z",
                "tool_ids": ["tabcdefabcdef"],
            },
            {**pal_body(), "pal_type": "system"},
        ],
    )
    assert ids["tools"] == ["tabcdefabcdef"] and ids["pals"][0] == "p0123456789a"
    assert ids["faces"][1] == "r0123456789a"
    pal = api.get("/pals/p0123456789a").json()
    assert pal["created_at"] == "2024-01-01T00:00:00.000000Z" and pal["tool_ids"] == [
        "tabcdefabcdef"
    ]
    assert api.get("/pals", params={"pal_type": "system"}).json()["total_count"] == STOCK + 1
    assert api.post("/pals", json=pal_body(default_face_id=ids["faces"][0])).status_code == 200
    with pytest.raises(EmulatorError, match="already exists"):
        emulator.control.seed(pals=[{**pal_body(), "pal_id": "p0123456789a"}])
    with pytest.raises(EmulatorError, match="system_prompt"):
        emulator.control.seed(pals=[{"pal_name": "invalid"}])
    emulator.control.seed(pals=[{"pal_name": "planted invalid"}], validate=False)


def test_reset_reseeds_and_keeps_ids_unique(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    before = make_pal()["pal_id"]
    emulator.control.reset()
    assert api.get("/pals").json()["total_count"] == STOCK
    assert {f["face_id"] for f in emulator.control.faces()} >= {FACE}
    assert make_pal()["pal_id"] != before
    emulator.control.reset(seed=False)
    assert api.get("/pals").json()["total_count"] == 0
    assert "default_face_id" in error_of(api.post("/pals", json=pal_body()))


def test_request_log(emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    api.get(f"/pals/{pal_id}")
    api.get(f"/pals/{pal_id}/")
    api.patch(f"/pals/{pal_id}", json=RENAME)
    api.get("/personas")
    api.get(f"/pals/{pal_id}/tools")
    api.get("/tools/end_call")
    httpx.get(emulator.base_url + "/pals")  # 401 is logged too
    emulator.control.faults()  # controls are not logged
    log = emulator.control.requests()
    assert log.count("POST", "/v2/pals") == 1
    assert log.count("GET", "/v2/pals/{id}") == 2
    assert log.count("PATCH", "/v2/pals/{id}") == 1
    assert log.count("GET", "/v2/personas") == 1
    assert log.count("GET", "/v2/pals/{id}/tools") == 1
    assert log.count("GET", "/v2/tools/{id}") == 1
    assert log.count("GET", "/v2/pals") == 1
    assert log.count() == 8
    assert [e.method for e in log.writes()] == ["POST", "PATCH"]
    assert len(log.reads()) == 6
    statuses = [e.status for e in log.entries]
    assert statuses == [200, 200, 200, 200, 200, 200, 200, 401]
    assert all(e.duration_ms >= 0 and not e.path.startswith("/_emulator") for e in log.entries)
    emulator.control.clear_requests()
    assert emulator.control.requests().count() == 0
