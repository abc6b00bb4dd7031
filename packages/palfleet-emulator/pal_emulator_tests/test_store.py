"""Persistence (restart with --db loses nothing) and write serialization (no lost update)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from pal_emulator.store import Store
from pal_emulator.testing import StartEmulator

from pal_emulator_tests.conftest import pal_body, tool_body


def test_restart_with_db_loses_nothing(
    tmp_path: Path, start_emulator_process: StartEmulator
) -> None:
    db = tmp_path / "state.sqlite"
    first = start_emulator_process(db=db)
    headers = {"x-api-key": first.api_key}
    with httpx.Client(base_url=first.base_url, headers=headers) as api:
        tool = api.post("/tools", json=tool_body()).json()
        secret_pal = pal_body(
            layers={"llm": {"model": "m", "base_url": "https://l.example/v1", "api_key": "sk-keep"}}
        )
        pal = api.post("/pals", json={**secret_pal, "tool_ids": [tool["tool_id"]]}).json()
        deleted_tool = api.post("/tools", json=tool_body("deleted_one")).json()
        api.delete(f"/tools/{deleted_tool['tool_id']}")
        before_list = api.get("/pals", params={"limit": 100}).json()
        before_tools = api.get("/tools", params={"type": "all"}).json()
    with first.control() as control:
        control.set_maker_draft(pal["pal_id"])
    first.kill()

    second = start_emulator_process(db=db)
    with httpx.Client(base_url=second.base_url, headers=headers) as api:
        assert api.get("/pals", params={"limit": 100}).json() == before_list
        assert api.get("/tools", params={"type": "all"}).json() == before_tools
        assert (
            api.get(f"/pals/{pal['pal_id']}/tools").json()["data"][0]["tool_id"] == tool["tool_id"]
        )
        conflict = api.patch(f"/pals/{pal['pal_id']}", json=[{"op": "remove", "path": "/greeting"}])
        assert conflict.status_code == 409  # the draft survived
        again = api.post("/pals", json=pal_body()).json()
        assert again["pal_id"] not in {p["pal_id"] for p in before_list["data"]}
        new_tool = api.post("/tools", json=tool_body("fresh")).json()
        assert new_tool["tool_id"] not in {tool["tool_id"], deleted_tool["tool_id"]}
    second.stop()
    store = Store(db)
    stored = store.get_pal(pal["pal_id"])
    assert stored is not None and stored["layers"]["llm"]["api_key"] == "sk-keep"
    store.close()


def test_fifty_concurrent_patches_lose_no_update(api: httpx.Client) -> None:
    pal_id = api.post("/pals", json=pal_body(memories=[])).json()["pal_id"]
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    lock = threading.Lock()
    base_url, headers = str(api.base_url), dict(api.headers)

    def append(i: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            barrier.wait()
            response = client.patch(
                f"/pals/{pal_id}", json=[{"op": "add", "path": "/memories/-", "value": f"m{i}"}]
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
    memories = api.get(f"/pals/{pal_id}").json()["memories"]
    assert sorted(memories) == sorted(f"m{i}" for i in range(50))


def test_store_transactions_roll_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.put_face({"face_id": "r00000000001"})
    try:
        with store.write():
            store.put_face({"face_id": "r00000000002"})
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert [f["face_id"] for f in store.faces()] == ["r00000000001"]
    assert store.next_counter("pal") == 1 and store.next_counter("pal") == 2
    store.close()
