"""Faces, read-only, and their ``/replicas`` alias (pal-api.md section 7)."""

from __future__ import annotations

import httpx
from pal_emulator.testing import RunningEmulator

DOCUMENTED = {"r90bbd427f71", "rfe12d8b9597", "r4067604db72"}


def test_stock_faces_include_the_ids_tavus_documents(api: httpx.Client) -> None:
    listed = api.get("/faces", params={"limit": 100}).json()
    ids = {face["face_id"] for face in listed["data"]}
    assert ids >= DOCUMENTED and listed["total_count"] == len(listed["data"])
    lucy = api.get("/faces/r4067604db72").json()
    assert lucy["face_name"] == "Lucy - Home" and lucy["model_name"] == "phoenix-4.5"
    assert lucy["face_type"] == "system" and lucy["status"] == "completed"
    assert "thumbnail_video_url" not in lucy
    with_thumbnail = api.get("/faces/r4067604db72", params={"include_thumbnails": "true"})
    assert with_thumbnail.json()["thumbnail_video_url"]


def test_the_replicas_alias_speaks_the_old_names(api: httpx.Client) -> None:
    replica = api.get("/replicas/r4067604db72").json()
    assert replica["replica_id"] == "r4067604db72" and replica["replica_name"] == "Lucy - Home"
    assert "face_id" not in replica
    listed = api.get("/replicas", params={"replica_type": "system", "limit": 2}).json()
    assert len(listed["data"]) == 2 and all("replica_id" in r for r in listed["data"])


def test_user_faces_come_from_the_controls_and_filter_by_type(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.control.seed(faces=[{"face_id": "r0000000f00d", "face_name": "Our host"}])
    users = api.get("/faces", params={"face_type": "user"}).json()
    assert [f["face_id"] for f in users["data"]] == ["r0000000f00d"]
    assert api.get("/faces", params={"face_type": "robot"}).status_code == 400


def test_unknown_and_malformed_ids_are_400(api: httpx.Client) -> None:
    for face_id in ("r000000000000", "not-a-face"):
        refused = api.get(f"/faces/{face_id}")
        assert refused.status_code == 400 and refused.json() == {"error": "Invalid face_id"}
    assert api.get("/replicas/nope").json() == {"error": "Invalid replica_id"}


def test_faces_need_the_key(emulator: RunningEmulator) -> None:
    assert httpx.get(f"{emulator.base_url}/faces").status_code == 401
