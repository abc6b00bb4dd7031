"""Faces (formerly replicas), read-only: ``GET /faces``, ``GET /faces/{face_id}`` and their
``/replicas`` aliases (pal-api.md section 7).

A stored face document uses the new names (``face_id``, ``face_name``, ``face_type``); the
alias answers with the old ones (``replica_id``, ``replica_name``, ``replica_type``). Faces are
added only through the test controls; a face stored without a type is a stock (``system``)
face when the emulator seeded it, else a ``user`` face.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, bad_request
from .store import Store

FACE_ID = re.compile(r"^r[0-9a-z]{6,20}$")
ALIAS_KEYS = {"face_id": "replica_id", "face_name": "replica_name", "face_type": "replica_type"}
DEFAULTS: dict[str, Any] = {
    "status": "completed",
    "model_name": "phoenix-4.5",
    "face_type": "user",
    "created_at": "2025-01-01T00:00:00.000000Z",
}


def _view(doc: dict[str, Any], *, alias: bool, thumbnails: bool) -> dict[str, Any]:
    face = {**DEFAULTS, **doc}
    if thumbnails:
        face.setdefault(
            "thumbnail_video_url", f"https://cdn.example.invalid/faces/{face['face_id']}.mp4"
        )
    else:
        face.pop("thumbnail_video_url", None)
    if alias:
        face = {ALIAS_KEYS.get(key, key): value for key, value in face.items()}
    return face


def list_faces(
    store: Store,
    *,
    size: int,
    offset: int,
    face_type: str | None,
    alias: bool,
    thumbnails: bool,
) -> dict[str, Any]:
    if face_type is not None and face_type not in ("user", "system"):
        field = "replica_type" if alias else "face_type"
        raise bad_request(f"{field} must be user or system")
    faces = [{**DEFAULTS, **doc} for doc in store.faces()]
    if face_type is not None:
        faces = [face for face in faces if face["face_type"] == face_type]
    page = faces[offset : offset + size]
    data = [_view(face, alias=alias, thumbnails=thumbnails) for face in page]
    return {"data": data, "total_count": len(faces)}


def get_face(store: Store, face_id: str, *, alias: bool, thumbnails: bool) -> dict[str, Any]:
    invalid = ApiError(400, {"error": "Invalid replica_id" if alias else "Invalid face_id"})
    if not FACE_ID.match(face_id):
        raise invalid
    for doc in store.faces():
        if doc.get("face_id") == face_id:
            return _view(doc, alias=alias, thumbnails=thumbnails)
    raise invalid
