"""Contract §2.3: strict, atomic JSON Patch on PALs, 304, 422, 400 and server-owned fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pal_emulator.testing import RunningEmulator

from pal_emulator_tests.conftest import OTHER_FACE, error_of

MakePal = Callable[..., dict[str, Any]]
INVALID_PATCH = {"message": "Invalid JSON patch format"}
SUITE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "json-patch"


def _patch(api: httpx.Client, pal_id: str, ops: Any, **kw: Any) -> httpx.Response:
    return api.patch(f"/pals/{pal_id}", json=ops, **kw)


def test_replace_returns_updated_document(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal()
    response = _patch(
        api,
        pal["pal_id"],
        [{"op": "replace", "path": "/layers/llm/model", "value": "tavus-gpt-oss"}],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["layers"]["llm"]["model"] == "tavus-gpt-oss"
    assert body["updated_at"] > pal["updated_at"] and body["created_at"] == pal["created_at"]
    assert api.get(f"/pals/{pal['pal_id']}").json() == body


def test_all_six_ops(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal(document_tags=["a", "b"])["pal_id"]
    ops = [
        {"op": "add", "path": "/greeting", "value": "Hello"},
        {"op": "add", "path": "/document_tags/-", "value": "c"},
        {"op": "remove", "path": "/document_tags/0"},
        {"op": "copy", "from": "/greeting", "path": "/context"},
        {"op": "move", "from": "/context", "path": "/pal_name"},
        {"op": "test", "path": "/pal_name", "value": "Hello"},
        {"op": "replace", "path": "/system_prompt", "value": "New"},
    ]
    body = _patch(api, pal_id, ops).json()
    assert body["greeting"] == "Hello" and body["pal_name"] == "Hello"
    assert body["document_tags"] == ["b", "c"] and "context" not in body
    assert body["system_prompt"] == "New"


def test_json_patch_content_type_is_accepted(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    response = api.patch(
        f"/pals/{pal_id}",
        content=json.dumps([{"op": "add", "path": "/greeting", "value": "x"}]),
        headers={"content-type": "application/json-patch+json"},
    )
    assert response.status_code == 200 and response.json()["greeting"] == "x"


def test_noop_patch_is_304_with_empty_body(api: httpx.Client, make_pal: MakePal) -> None:
    pal = make_pal()
    for ops in (
        [],
        [{"op": "replace", "path": "/pal_name", "value": "Support"}],
        [{"op": "test", "path": "/pal_name", "value": "Support"}],
        [{"op": "remove", "path": "/layers/llm/model"}],
    ):  # the server refills its default
        response = _patch(api, pal["pal_id"], ops)
        assert response.status_code == 304 and response.content == b""
    assert api.get(f"/pals/{pal['pal_id']}").json()["updated_at"] == pal["updated_at"]


@pytest.mark.parametrize(
    "ops",
    [
        {"op": "add", "path": "/greeting", "value": "x"},
        [{"op": "replace", "path": "/greeting", "value": "x"}],
        [{"op": "remove", "path": "/nothing"}],
        [{"op": "add", "path": "/missing/child", "value": 1}],
        [{"op": "test", "path": "/pal_name", "value": "Other"}],
        [{"op": "add", "path": "no-slash", "value": 1}],
        [{"op": "jump", "path": "/pal_name"}],
        [{"op": "add", "path": "/pal_name"}],
        [{"op": "move", "path": "/pal_name"}],
        [{"op": "add", "path": "/document_tags/01", "value": "x"}],
        "not a patch",
        None,
    ],
)
def test_malformed_or_failing_patch_is_422_and_atomic(
    api: httpx.Client, make_pal: MakePal, ops: Any
) -> None:
    pal = make_pal(document_tags=["a", "b"])
    patch = [{"op": "replace", "path": "/pal_name", "value": "changed"}]
    patch = [*patch, *ops] if isinstance(ops, list) else ops
    response = _patch(api, pal["pal_id"], patch)
    assert response.status_code == 422 and response.json() == INVALID_PATCH
    assert api.get(f"/pals/{pal['pal_id']}").json() == pal


def test_unparseable_body_is_422(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    response = api.patch(
        f"/pals/{pal_id}", content=b"[{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json() == INVALID_PATCH


@pytest.mark.parametrize(
    ("ops", "field"),
    [
        (
            [{"op": "replace", "path": "/layers/llm/model", "value": "tavus-llama"}],
            "layers.llm.model",
        ),
        (
            [{"op": "replace", "path": "/layers/llm/model", "value": "unknown-model"}],
            "layers.llm.model",
        ),
        ([{"op": "remove", "path": "/system_prompt"}], "system_prompt"),
        ([{"op": "replace", "path": "/pipeline_mode", "value": "echo"}], "system_prompt"),
        (
            [{"op": "add", "path": "/layers/stt", "value": {"stt_engine": "nope"}}],
            "layers.stt.stt_engine",
        ),
        ([{"op": "add", "path": "/bogus", "value": 1}], "bogus"),
        ([{"op": "add", "path": "/tool_ids/-", "value": "t000000000000"}], "tool_ids"),
        ([{"op": "replace", "path": "", "value": []}], "JSON object"),
    ],
)
def test_invalid_result_is_400_naming_the_field(
    api: httpx.Client, make_pal: MakePal, ops: list[dict[str, Any]], field: str
) -> None:
    pal = make_pal()
    assert field in error_of(_patch(api, pal["pal_id"], ops))
    assert api.get(f"/pals/{pal['pal_id']}").json() == pal


@pytest.mark.parametrize("field", ["pal_id", "conferencing_email"])
def test_server_owned_fields_cannot_be_patched(
    api: httpx.Client, make_pal: MakePal, field: str
) -> None:
    pal = make_pal(layers={"conferencing": {"username": "owner-test"}})
    message = error_of(
        _patch(api, pal["pal_id"], [{"op": "replace", "path": f"/{field}", "value": "x"}])
    )
    assert field in message and "server" in message
    removal = _patch(api, pal["pal_id"], [{"op": "remove", "path": f"/{field}"}])
    assert field in error_of(removal)
    test_op = _patch(api, pal["pal_id"], [{"op": "test", "path": f"/{field}", "value": pal[field]}])
    assert test_op.status_code == 304


@pytest.mark.parametrize("field", ["created_at", "updated_at", "owner_id", "pal_type"])
def test_the_official_clients_server_owned_fields_are_ignored(
    api: httpx.Client, make_pal: MakePal, field: str
) -> None:
    """Revision 2: fields the official client's schema carries are accepted as no-ops."""
    pal = make_pal()
    for op in ("replace", "remove"):
        answer = _patch(api, pal["pal_id"], [{"op": op, "path": f"/{field}", "value": "x"}])
        assert answer.status_code == 304, answer.text
    stale = _patch(api, pal["pal_id"], [{"op": "test", "path": f"/{field}", "value": "x"}])
    assert stale.status_code == 422, "a test still compares the stored value"
    assert api.get(f"/pals/{pal['pal_id']}").json()[field] == pal[field]


def test_masked_secret_written_back_keeps_the_stored_secret(
    emulator: RunningEmulator, api: httpx.Client, make_pal: MakePal
) -> None:
    pal = make_pal(
        layers={"llm": {"model": "m", "base_url": "https://llm.example/v1", "api_key": "sk-1"}}
    )
    llm_view = pal["layers"]["llm"]
    same = _patch(api, pal["pal_id"], [{"op": "replace", "path": "/layers/llm", "value": llm_view}])
    assert same.status_code == 304
    changed = _patch(
        api, pal["pal_id"], [{"op": "replace", "path": "/layers/llm/api_key", "value": "sk-2"}]
    )
    assert changed.status_code == 200 and changed.json()["layers"]["llm"]["api_key"] == "********"
    stored = emulator.control.edit_pal(pal["pal_id"], {})  # echo is still masked
    assert stored["layers"]["llm"]["api_key"] == "********"


def test_masked_secret_without_a_stored_secret_is_400(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    ops = [{"op": "add", "path": "/layers/tts", "value": {"api_key": "********"}}]
    assert "layers.tts.api_key" in error_of(_patch(api, pal_id, ops))


def test_conferencing_email_follows_the_username(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    ops = [{"op": "add", "path": "/layers/conferencing", "value": {"username": "Sales-Desk"}}]
    body = _patch(api, pal_id, ops).json()
    assert body["conferencing_email"] == "sales-desk@tavusinvite.com"
    body = _patch(api, pal_id, [{"op": "remove", "path": "/layers/conferencing"}]).json()
    assert "conferencing_email" not in body


def test_face_can_change(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    ops = [{"op": "replace", "path": "/default_face_id", "value": OTHER_FACE}]
    assert _patch(api, pal_id, ops).json()["default_face_id"] == OTHER_FACE


def test_tool_ids_patch_moves_attachments(
    api: httpx.Client, make_pal: MakePal, make_tool: Callable[..., dict[str, Any]]
) -> None:
    tool = make_tool()
    pal_id = make_pal()["pal_id"]
    body = _patch(
        api, pal_id, [{"op": "add", "path": "/tool_ids/-", "value": tool["tool_id"]}]
    ).json()
    assert body["tool_ids"] == [tool["tool_id"]]
    assert [t["tool_id"] for t in api.get(f"/pals/{pal_id}/tools").json()["data"]] == [
        tool["tool_id"]
    ]


def test_system_pals_are_read_only(api: httpx.Client) -> None:
    ops = [{"op": "replace", "path": "/pal_name", "value": "x"}]
    assert "System" in error_of(_patch(api, "pcb7a34da5fe", ops))
    assert "System" in error_of(api.delete("/pals/pcb7a34da5fe"))


def _suite_cases() -> list[Any]:
    cases = []
    for name in ("tests.json", "spec_tests.json"):
        for i, record in enumerate(json.loads((SUITE / name).read_text())):
            if record.get("disabled") or "patch" not in record:
                continue
            if not isinstance(record["doc"], dict):
                continue
            if "error" not in record and not isinstance(record["expected"], dict):
                continue  # extra_body must stay an object
            cases.append(pytest.param(record, id=f"{name}#{i}"))
    return cases


def test_conformance_suite_through_the_http_patch_endpoint(
    api: httpx.Client, make_pal: MakePal
) -> None:
    """Every object-rooted suite case, applied under a free-form key of a real PAL
    (``layers.llm.extra_body`` of a custom LLM takes any object)."""
    cases = _suite_cases()
    assert len(cases) > 60
    pal = make_pal(
        layers={"llm": {"model": "m", "base_url": "https://llm.example/v1", "api_key": "k"}}
    )
    prefix = "/layers/llm/extra_body"
    failures = []
    for param in cases:
        record = param.values[0]
        if any(not isinstance(op, dict) for op in record["patch"]):
            continue
        seeded = _patch(api, pal["pal_id"], [{"op": "add", "path": prefix, "value": record["doc"]}])
        assert seeded.status_code in (200, 304), seeded.text
        moved = []
        for op in record["patch"]:
            op = dict(op)
            for key in ("path", "from"):
                if isinstance(op.get(key), str) and (op[key] == "" or op[key].startswith("/")):
                    op[key] = prefix + op[key]
            moved.append(op)
        response = _patch(api, pal["pal_id"], moved)
        current = api.get(f"/pals/{pal['pal_id']}").json()["layers"]["llm"].get("extra_body")
        if "error" in record:
            if response.status_code != 422 or current != record["doc"]:
                failures.append((param.id, response.status_code))
        elif response.status_code not in (200, 304) or current != record["expected"]:
            failures.append((param.id, response.status_code))
    assert failures == []
