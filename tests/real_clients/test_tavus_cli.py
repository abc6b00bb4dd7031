"""Tavus's official CLI (``tavus-cli`` 0.11.0), unchanged, against the emulator: the PAL, face,
tool, guardrail, objective and conversation commands a user runs, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Tavus

FACE = "r90bbd427f71"  # the face id of Tavus's own LLM-layer example


def test_doctor_and_faces(tavus: Tavus) -> None:
    doctor = tavus("doctor")
    assert doctor.code == 0, doctor.stdout + doctor.stderr
    assert "Network check passed" in doctor.stdout
    faces = tavus("face", "list", "--stock", "--json").json()
    ids = {face["face_id"] for face in faces["data"]}
    assert {"r90bbd427f71", "rfe12d8b9597", "r4067604db72"} <= ids
    lucy = next(face for face in faces["data"] if face["face_id"] == "r4067604db72")
    assert lucy["face_name"] == "Lucy - Home" and lucy["model_name"] == "phoenix-4.5"


def test_a_pal_from_create_to_delete(tavus: Tavus, tmp_path: Path) -> None:
    layers = tmp_path / "layers.json"
    layers.write_text(
        json.dumps(
            {
                "llm": {"model": "tavus-gemma-4", "speculative_inference": True},
                "conversational_flow": {"face_interruptibility": "low", "wake_phrase": "hey"},
                "capabilities": {"search_enabled": True},
                "knowledge_base": {"rag_n_chunks": 3},
                "transport": {"transport_type": "livekit"},
            }
        )
    )
    created = tavus(
        "pal", "create", "--name", "CLI PAL", "--system-prompt", "Be brief.",
        "--face-id", FACE, "--layers-file", str(layers),
    ).json()  # fmt: skip
    pal_id = created["pal_id"]
    got = tavus("pal", "get", pal_id).json()
    assert got["default_face_id"] == FACE
    assert got["layers"]["conversational_flow"]["face_interruptibility"] == "low"
    assert got["layers"]["knowledge_base"] == {"rag_n_chunks": 3}
    listed = tavus("pal", "list", "--json").json()
    assert pal_id in {pal["pal_id"] for pal in listed["data"]}

    renamed = tavus("pal", "patch", pal_id, "--path", "/pal_name", "--value", "Renamed").json()
    assert renamed["pal_name"] == "Renamed"
    flow = tavus(
        "pal", "patch", pal_id, "--op", "replace",
        "--path", "/layers/conversational_flow/face_interruptibility", "--value", "high",
    ).json()  # fmt: skip
    assert flow["layers"]["conversational_flow"]["face_interruptibility"] == "high"

    options = tavus("pal", "options", pal_id).json()
    assert options["pal"]["pal_id"] == pal_id
    assert FACE in {face["face_id"] for face in options["available"]["faces"]}

    assert tavus("pal", "delete", pal_id).code == 0
    gone = tavus("pal", "get", pal_id)
    assert gone.code == 1 and "400" in gone.stdout


def test_a_pal_without_a_face(tavus: Tavus) -> None:
    """The CLI creates PALs without a face unless asked (revision 2)."""
    created = tavus("pal", "create", "--system-prompt", "No face.").json()
    got = tavus("pal", "get", created["pal_id"]).json()
    assert "default_face_id" not in got
    assert got["layers"]["llm"]["model"] == "tavus-gemma-4"


def test_tools_attach_to_a_pal(tavus: Tavus, tmp_path: Path) -> None:
    example = tavus("tool", "example").json()
    (tmp_path / "tool.json").write_text(json.dumps(example))
    tool = tavus("tool", "create", "--file", str(tmp_path / "tool.json")).json()
    tool_id = tool["tool_id"]
    assert tavus("tool", "get", tool_id).json()["name"] == example["name"]
    listed = tavus("tool", "list", "--json").json()
    assert tool_id in {t["tool_id"] for t in listed["data"]}
    pal_id = tavus("pal", "create", "--system-prompt", "Use tools.").json()["pal_id"]
    assert tavus("pal", "tools", "attach", pal_id, tool_id).code == 0
    attached = tavus("pal", "tools", "list", pal_id).json()
    assert [t["tool_id"] for t in attached["data"]] == [tool_id]
    assert tavus("pal", "tools", "detach", pal_id, tool_id).code == 0
    assert tavus("tool", "delete", tool_id).code == 0


def test_guardrails(tavus: Tavus, tmp_path: Path) -> None:
    created = tavus(
        "guardrail", "create", "--name", "No diagnoses", "--prompt", "Never diagnose.",
        "--tag", "health", "--tag", "safety",
    ).json()  # fmt: skip
    guardrail_id = created["guardrail_id"]
    assert created["modality"] == "verbal" and created["app_message"] is True
    assert tavus("guardrail", "get", guardrail_id).json()["guardrail_name"] == "No diagnoses"
    patched = tavus("guardrail", "patch", guardrail_id, "--prompt", "Never diagnose anyone.").json()
    assert patched["guardrail_prompt"] == "Never diagnose anyone."
    listed = tavus("guardrail", "list", "--tags", "health", "--json").json()
    assert [g["guardrail_id"] for g in listed["data"]] == [guardrail_id]
    assert set(tavus("guardrail", "tags").json()["tags"]) == {"health", "safety"}
    pal = tavus(
        "pal", "create", "--system-prompt", "Careful.", "--guardrail-id", guardrail_id
    ).json()
    assert tavus("pal", "get", pal["pal_id"]).json()["guardrail_ids"] == [guardrail_id]
    assert tavus("guardrail", "delete", guardrail_id).code == 0


def test_objectives(tavus: Tavus, tmp_path: Path) -> None:
    example = tavus("objective", "example").json()
    body = tmp_path / "objectives.json"
    body.write_text(json.dumps(example))
    assert tavus("objective", "validate", "--file", str(body)).json() == {"valid": True}
    created = tavus("objective", "create", "--file", str(body)).json()
    objectives_id = created["objectives_id"]
    assert tavus("objective", "get", objectives_id).json()["data"] == created["data"]
    first = created["data"][0]["objective_name"]
    ops = tmp_path / "ops.json"
    ops.write_text(
        json.dumps([{"op": "replace", "path": "/data/0/objective_prompt", "value": "Greet."}])
    )
    patched = tavus("objective", "patch", objectives_id, "--file", str(ops)).json()
    assert patched["data"][0] == {**created["data"][0], "objective_prompt": "Greet."}
    assert patched["data"][0]["objective_name"] == first
    listed = tavus("objective", "list", "--json").json()
    assert objectives_id in {o["objectives_id"] for o in listed["data"]}
    second = {"objective_name": "follow_up", "objective_prompt": "Ask how it went."}
    looping = {
        **example,
        "allow_loops": True,
        "data": [
            {**example["data"][0], "next_required_objective": "follow_up"},
            {**second, "next_conditional_objectives": {first: "the user wants to start over"}},
        ],
    }
    body.write_text(json.dumps(looping))
    loop = tavus("objective", "create", "--file", str(body)).json()
    assert loop["allow_loops"] is True and len(loop["data"]) == 2
    assert tavus("objective", "delete", objectives_id).code == 0


def test_a_conversation(tavus: Tavus) -> None:
    pal_id = tavus("pal", "create", "--system-prompt", "Talk.", "--face-id", FACE).json()["pal_id"]
    conversation = tavus("conversation", "create", "--pal-id", pal_id).json()
    assert conversation["status"] == "active"
    assert conversation["conversation_url"].endswith(conversation["conversation_id"])
    ended = tavus("conversation", "end", conversation["conversation_id"]).json()
    assert ended["status"] == "ended"
