"""Stock data present after start and after every reset (unless seeding is turned off)."""

from __future__ import annotations

from typing import Any

STOCK_FACES: list[dict[str, Any]] = [
    {"face_id": "rf4703150052", "face_name": "Anna", "status": "completed"},
    {"face_id": "r92debe21318", "face_name": "Nathan", "status": "completed"},
    {"face_id": "rca8a38779a8", "face_name": "Rose", "status": "completed"},
    # The ids Tavus's documentation and clients use in their examples (pal-api.md section 7).
    {"face_id": "r90bbd427f71", "face_name": "Anna - Office", "status": "completed"},
    {"face_id": "rfe12d8b9597", "face_name": "Nathan - Studio", "status": "completed"},
    {"face_id": "r4067604db72", "face_name": "Lucy - Home", "status": "completed"},
]
for _face in STOCK_FACES:
    _face["face_type"] = "system"

_STAMP = "2025-01-01T00:00:00.000000Z"

STOCK_PALS: list[dict[str, Any]] = [
    {
        "pal_id": "pcb7a34da5fe",
        "pal_name": "Tavus Researcher",
        "pipeline_mode": "full",
        "system_prompt": "You are a friendly researcher who explains Tavus.",
        "default_face_id": "rf4703150052",
        "layers": {"llm": {"model": "tavus-glm-4.7", "speculative_inference": True}},
    },
    {
        "pal_id": "p48fdf065d6b",
        "pal_name": "Sales Coach",
        "pipeline_mode": "full",
        "system_prompt": "You coach sales people through role-play.",
        "default_face_id": "r92debe21318",
        "layers": {"llm": {"model": "tavus-gpt-oss", "speculative_inference": True}},
    },
    {
        "pal_id": "p9a95912b5c3",
        "pal_name": "Echo Presenter",
        "pipeline_mode": "echo",
        "default_face_id": "rca8a38779a8",
    },
    # The LiveKit plugin's default PAL (pal-api.md section 7).
    {
        "pal_id": "pb87e71797da",
        "pal_name": "LiveKit Echo",
        "pipeline_mode": "echo",
        "default_face_id": "r4067604db72",
    },
]

STOCK_PAL_SERVER_FIELDS: dict[str, Any] = {
    "pal_type": "system",
    "owner_id": None,
    "created_at": _STAMP,
    "updated_at": _STAMP,
}
