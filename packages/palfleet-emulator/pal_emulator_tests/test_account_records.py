"""Guardrails, objective sets, documents and conversations (contract revision 2, §8-10)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator

from pal_emulator_tests.conftest import error_of, pal_body

MakePal = Callable[..., dict[str, Any]]


def guardrail(**overrides: Any) -> dict[str, Any]:
    return {
        "guardrail_name": "No medical advice",
        "guardrail_prompt": "Never diagnose.",
        **overrides,
    }


def objectives(*items: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = list(items) or [{"objective_name": "greet", "objective_prompt": "Say hello."}]
    return {"name": "Intake", "data": data, **overrides}


def test_a_guardrail_round_trip(api: httpx.Client) -> None:
    created = api.post("/guardrails", json=guardrail(tags=["health"]))
    assert created.status_code == 200, created.text
    doc = created.json()
    assert re.fullmatch(r"g[0-9a-f]{11}", doc["guardrail_id"])
    assert doc["modality"] == "verbal" and doc["callback_url"] == "" and doc["app_message"] is True
    assert api.get(f"/guardrails/{doc['guardrail_id']}").json() == doc
    patched = api.patch(
        f"/guardrails/{doc['guardrail_id']}",
        json=[{"op": "add", "path": "/tool_call", "value": {"name": "flag"}}],
    )
    assert patched.status_code == 200 and patched.json()["tool_call"] == {"name": "flag"}
    same = [{"op": "add", "path": "/guardrail_name", "value": "No medical advice"}]
    assert api.patch(f"/guardrails/{doc['guardrail_id']}", json=same).status_code == 304
    assert api.get("/guardrails/tags").json() == {"tags": ["health"], "total_count": 1}
    assert api.delete(f"/guardrails/{doc['guardrail_id']}").status_code == 204
    assert error_of(api.get(f"/guardrails/{doc['guardrail_id']}")) == "Invalid guardrail_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (guardrail(guardrail_name=""), "guardrail_name"),
        (guardrail(guardrail_name="x" * 101), "guardrail_name"),
        (guardrail(guardrail_prompt=" "), "guardrail_prompt"),
        (guardrail(modality="smell"), "modality"),
        (guardrail(tags=["a"] * 33), "tags"),
        (guardrail(tags=[""]), "tags"),
        (guardrail(app_message="yes"), "app_message"),
        (guardrail(colour="red"), "colour"),
    ],
)
def test_guardrail_validation_names_the_field(api: httpx.Client, body: Any, field: str) -> None:
    assert field in error_of(api.post("/guardrails", json=body))


def test_guardrail_list_filters(api: httpx.Client) -> None:
    first = api.post("/guardrails", json=guardrail(guardrail_name="Alpha", tags=["a"])).json()
    api.post("/guardrails", json=guardrail(guardrail_name="Beta", tags=["b"]))
    listed = api.get("/guardrails", params={"sort": "descending"}).json()
    assert listed["total_count"] == 2 and listed["data"][0]["guardrail_name"] == "Beta"
    assert api.get("/guardrails", params={"tags": "a,z"}).json()["data"] == [first]
    assert api.get("/guardrails", params={"name_or_uuid": "alp"}).json()["data"] == [first]
    by_id = api.get("/guardrails", params={"name_or_uuid": first["guardrail_id"]}).json()
    assert by_id["data"] == [first]
    assert api.get("/guardrails", params={"type": "system"}).json()["total_count"] == 0


def test_an_objective_set_round_trip(api: httpx.Client) -> None:
    body = objectives(
        {
            "objective_name": "greet",
            "objective_prompt": "Say hello.",
            "next_conditional_objectives": {"triage": "the user is unwell"},
        },
        {"objective_name": "triage", "objective_prompt": "Ask about symptoms."},
    )
    assert api.post("/objectives/validate", json=body).json() == {"valid": True}
    created = api.post("/objectives", json=body)
    assert created.status_code == 200, created.text
    doc = created.json()
    assert re.fullmatch(r"o[0-9a-f]{11}", doc["objectives_id"])
    assert doc["allow_loops"] is False and doc["data"][1]["confirmation_mode"] == "auto"
    patched = api.patch(
        f"/objectives/{doc['objectives_id']}",
        json=[{"op": "replace", "path": "/data/1/objective_prompt", "value": "Ask gently."}],
    )
    assert (
        patched.status_code == 200
        and patched.json()["data"][1]["objective_prompt"] == "Ask gently."
    )
    broken = [{"op": "replace", "path": "/data/1/objective_name", "value": "other"}]
    assert "triage" in error_of(api.patch(f"/objectives/{doc['objectives_id']}", json=broken))
    stale = [{"op": "test", "path": "/name", "value": "nope"}]
    assert api.patch(f"/objectives/{doc['objectives_id']}", json=stale).status_code == 422
    assert api.get("/objectives").json()["total_count"] == 1
    assert api.delete(f"/objectives/{doc['objectives_id']}").status_code == 204
    assert error_of(api.get(f"/objectives/{doc['objectives_id']}")) == "Invalid objectives_id"


def _looping() -> dict[str, Any]:
    return objectives(
        {"objective_name": "a", "objective_prompt": "A.", "next_required_objective": "b"},
        {
            "objective_name": "b",
            "objective_prompt": "B.",
            "next_conditional_objectives": {"a": "again"},
        },
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (objectives(data=[]), "data"),
        (
            objectives(*[{"objective_name": f"o{i}", "objective_prompt": "p"} for i in range(51)]),
            "data",
        ),
        (objectives({"objective_name": "bad name", "objective_prompt": "p"}), "objective_name"),
        (objectives({"objective_name": "a", "objective_prompt": "x" * 10_001}), "objective_prompt"),
        (
            objectives(
                {"objective_name": "a", "objective_prompt": "p"},
                {"objective_name": "a", "objective_prompt": "q"},
            ),
            "used twice",
        ),
        (
            objectives(
                {"objective_name": "a", "objective_prompt": "p", "next_required_objective": "z"}
            ),
            "'z'",
        ),
        (
            objectives(
                {"objective_name": "a", "objective_prompt": "p", "next_required_objective": "a"}
            ),
            "itself",
        ),
        (_looping(), "cycle (a -> b -> a)"),
        (objectives({"objective_name": "a", "objective_prompt": "p", "modality": "x"}), "modality"),
        (objectives(name="n" * 101), "name"),
    ],
)
def test_objective_rules(api: httpx.Client, body: Any, fragment: str) -> None:
    assert fragment in error_of(api.post("/objectives/validate", json=body))
    assert fragment in error_of(api.post("/objectives", json=body))


def test_loops_are_allowed_when_asked(api: httpx.Client) -> None:
    assert api.post("/objectives", json={**_looping(), "allow_loops": True}).status_code == 200


def test_a_pal_refers_only_to_records_of_its_account(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    for field, value, name in (
        ("guardrail_ids", ["g00000000000"], "guardrail_id"),
        ("objectives_id", "o00000000000", "objectives_id"),
        ("document_ids", ["d00000000000"], "document_id"),
    ):
        assert name in error_of(api.post("/pals", json=pal_body(**{field: value})))
    documents = emulator.control.seed(documents=[{"document_name": "FAQ"}])["documents"]
    assert api.get(f"/documents/{documents[0]}").json()["document_name"] == "FAQ"
    assert api.post("/pals", json=pal_body(document_ids=documents)).status_code == 200


def test_a_conversation_takes_the_pals_face(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal()
    created = api.post("/conversations", json={"pal_id": pal["pal_id"], "properties": {}})
    assert created.status_code == 200, created.text
    doc = created.json()
    assert re.fullmatch(r"c[0-9a-f]{11}", doc["conversation_id"])
    assert doc["conversation_url"] == f"https://tavus.daily.co/{doc['conversation_id']}"
    assert doc["status"] == "active"
    full = api.get(f"/conversations/{doc['conversation_id']}", params={"verbose": "true"}).json()
    assert full["face_id"] == pal["default_face_id"] and full["events"] == []
    assert api.post(f"/conversations/{doc['conversation_id']}/end").json()["status"] == "ended"
    assert api.get("/conversations", params={"status": "ended"}).json()["total_count"] == 1
    assert api.delete(f"/conversations/{doc['conversation_id']}").status_code == 204
    faceless = api.post("/pals", json=pal_body(default_face_id=None)).json()
    assert "face_id" in error_of(api.post("/conversations", json={"pal_id": faceless["pal_id"]}))
    legacy = api.post(
        "/conversations", json={"persona_id": faceless["pal_id"], "replica_id": "r4067604db72"}
    )
    assert legacy.status_code == 200, legacy.text
    assert "pal_id" in error_of(api.post("/conversations", json={"pal_id": "p00000000000"}))


def test_the_livekit_default_pal_is_stock(api: httpx.Client) -> None:
    stock = api.get("/pals/pb87e71797da").json()
    assert stock["pipeline_mode"] == "echo" and stock["default_face_id"] == "r4067604db72"
