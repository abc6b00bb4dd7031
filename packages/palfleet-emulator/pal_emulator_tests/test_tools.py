"""Contract §4: the tools registry and PAL attachments."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pal_emulator_tests.conftest import error_of, pal_body, tool_body

MakeTool = Callable[..., dict[str, Any]]
MakePal = Callable[..., dict[str, Any]]
API = {"url": "https://hooks.example.com/orders/{order}", "method": "POST", "timeout": 5}


def test_create_fills_defaults_and_server_fields(make_tool: MakeTool) -> None:
    tool = make_tool()
    assert re.match(r"^t[0-9a-z]{12}$", tool["tool_id"])
    assert tool["origin"] == "llm" and tool["trigger_type"] == "in_call"
    assert tool["on_resolve"] == "fire_and_forget"
    assert tool["delivery"] == {"app_message": True}
    assert tool["is_system_tool"] is False and tool["owner_id"]
    assert tool["created_at"] == tool["updated_at"]


def test_api_delivery_defaults_and_masked_secrets(api: httpx.Client, make_tool: MakeTool) -> None:
    cases = {
        "bearer": {"type": "bearer", "token": "tok"},
        "basic": {"type": "basic", "username": "u", "password": "pw"},
        "api_key": {"type": "api_key", "name": "X-Key", "value": "v", "location": "header"},
        "hmac": {"type": "hmac", "secret": "s"},
        "oauth2_client_credentials": {
            "type": "oauth2_client_credentials",
            "token_url": "https://auth.example.com/token",
            "client_id": "id",
            "client_secret": "cs",
            "scope": "a",
        },
        "none": {"type": "none"},
    }
    for kind, auth in cases.items():
        tool = make_tool(
            f"t_{kind}", delivery={"api": {"url": "https://api.example.com/x", "auth": auth}}
        )
        shown = api.get(f"/tools/{tool['tool_id']}").json()["delivery"]["api"]
        assert shown["method"] == "POST" and shown["timeout"] == 10
        for key, value in auth.items():
            secret = key in {"token", "password", "value", "secret", "client_secret"}
            assert shown["auth"][key] == ("********" if secret else value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "1bad"}, "name"),
        ({"name": "a" * 65}, "name"),
        ({"name": "has-dash"}, "name"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"description": "x" * 10_000}, "10,000"),
        ({"parameters": []}, "parameters"),
        ({"parameters": {"properties": {"tavus_x": {}}}}, "tavus_"),
        ({"origin": "smell"}, "origin"),
        ({"trigger_type": "later"}, "trigger_type"),
        ({"on_call": "shout"}, "on_call"),
        ({"origin": "vision", "on_call": "passthrough"}, "passthrough"),
        ({"on_call": "static_filler"}, "static_filler"),
        ({"on_resolve": "ignore"}, "on_resolve"),
        ({"delivery": {}}, "delivery"),
        ({"delivery": {"app_message": False}}, "delivery"),
        ({"delivery": {"app_message": True, "api": API}}, "delivery"),
        ({"delivery": {"api": {**API, "url": "http://api.example.com"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "url": "https://127.0.0.1/x"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "url": "https://10.1.2.3/x"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "url": "https://localhost/x"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "url": "https://[::1]/x"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "url": "https://169.254.169.254/x"}}}, "delivery.api.url"),
        ({"delivery": {"api": {**API, "timeout": 61}}}, "delivery.api.timeout"),
        ({"delivery": {"api": {**API, "timeout": -1}}}, "delivery.api.timeout"),
        ({"delivery": {"api": {**API, "method": "FETCH"}}}, "delivery.api.method"),
        ({"delivery": {"api": {**API, "auth": {"type": "magic"}}}}, "delivery.api.auth.type"),
        ({"delivery": {"api": {**API, "auth": {"type": "bearer"}}}}, "delivery.api.auth.token"),
        (
            {"delivery": {"api": {**API, "auth": {"type": "basic", "username": "u"}}}},
            "delivery.api.auth.password",
        ),
        (
            {
                "delivery": {
                    "api": {
                        **API,
                        "auth": {"type": "api_key", "name": "n", "value": "v", "location": "body"},
                    }
                }
            },
            "delivery.api.auth.location",
        ),
        (
            {"delivery": {"api": {**API, "auth": {"type": "hmac", "secret": "********"}}}},
            "delivery.api.auth.secret",
        ),
        (
            {
                "delivery": {
                    "api": {
                        **API,
                        "auth": {
                            "type": "oauth2_client_credentials",
                            "token_url": "http://a.example/t",
                            "client_id": "i",
                            "client_secret": "s",
                        },
                    }
                }
            },
            "delivery.api.auth.token_url",
        ),
        ({"tags": "x"}, "tags"),
        ({"tool_id": "t1"}, "tool_id"),
        ({"is_system_tool": True}, "is_system_tool"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_tool_field_rules(api: httpx.Client, overrides: dict[str, Any], field: str) -> None:
    body = {**tool_body(), **overrides}
    assert field in error_of(api.post("/tools", json=body))


def test_valid_variants(api: httpx.Client) -> None:
    variants: list[dict[str, Any]] = [
        {"origin": "vision", "trigger_type": "post_call", "on_call": "silent"},
        {"origin": "audio", "on_resolve": "generate_response"},
        {"on_call": "static_filler", "static_filler": "One moment"},
        {"on_call": "passthrough", "on_resolve": "response_in_result", "tags": ["a"]},
        {
            "delivery": {
                "api": {
                    **API,
                    "headers": {"A": "b"},
                    "query_params": {"q": "1"},
                    "body_template": "{}",
                    "content_type": "application/json",
                    "timeout": 0,
                }
            }
        },
        {"description": "d" * 9_000},
    ]
    for i, overrides in enumerate(variants):
        response = api.post("/tools", json={**tool_body(f"ok_{i}"), **overrides})
        assert response.status_code == 200, (overrides, response.text)


def test_unique_names_and_soft_delete_frees_them(api: httpx.Client, make_tool: MakeTool) -> None:
    tool = make_tool("dup")
    assert error_of(api.post("/tools", json=tool_body("dup"))) == "Tool name already exists"
    assert error_of(api.post("/tools", json=tool_body("end_call"))) == "Tool name already exists"
    assert api.delete(f"/tools/{tool['tool_id']}").status_code == 204
    assert error_of(api.get(f"/tools/{tool['tool_id']}")) == "Invalid tool_id"
    assert error_of(api.delete(f"/tools/{tool['tool_id']}")) == "Invalid tool_id"
    assert make_tool("dup")["tool_id"] != tool["tool_id"]


def test_merge_patch(api: httpx.Client, make_tool: MakeTool) -> None:
    tool = make_tool("merge_me", tags=["a"])
    response = api.patch(f"/tools/{tool['tool_id']}", json={"description": "New text"})
    assert response.status_code == 200
    body = response.json()
    assert (
        body["description"] == "New text" and body["tags"] == ["a"] and body["name"] == "merge_me"
    )
    assert body["updated_at"] >= tool["updated_at"]
    other = make_tool("other")
    assert (
        error_of(api.patch(f"/tools/{tool['tool_id']}", json={"name": "other"}))
        == "Tool name already exists"
    )
    assert "origin" in error_of(api.patch(f"/tools/{other['tool_id']}", json={"origin": "x"}))
    assert error_of(api.patch("/tools/t000000000000", json={})) == "Invalid tool_id"


def test_patch_secrets_mask_rejected_and_omission_keeps(
    api: httpx.Client, make_tool: MakeTool
) -> None:
    auth = {"type": "bearer", "token": "tok-1"}
    tool = make_tool("secretive", delivery={"api": {**API, "auth": auth}})
    masked = api.get(f"/tools/{tool['tool_id']}").json()["delivery"]
    assert "delivery.api.auth.token" in error_of(
        api.patch(f"/tools/{tool['tool_id']}", json={"delivery": masked})
    )
    keep = {"api": {**API, "timeout": 20, "auth": {"type": "bearer"}}}
    response = api.patch(f"/tools/{tool['tool_id']}", json={"delivery": keep})
    assert response.status_code == 200, response.text
    assert response.json()["delivery"]["api"]["auth"] == {"type": "bearer", "token": "********"}
    switch = {"api": {**API, "auth": {"type": "hmac"}}}
    assert "delivery.api.auth.secret" in error_of(
        api.patch(f"/tools/{tool['tool_id']}", json={"delivery": switch})
    )


def test_list_tools(api: httpx.Client, make_tool: MakeTool) -> None:
    ids = [make_tool(f"tool_{i}")["tool_id"] for i in range(12)]
    page = api.get("/tools").json()
    assert page["total_count"] == 12 and len(page["data"]) == 10
    assert [t["tool_id"] for t in page["data"]] == list(reversed(ids))[:10]
    asc = api.get("/tools", params={"sort": "asc", "limit": 3, "page": 2}).json()
    assert [t["tool_id"] for t in asc["data"]] == ids[3:6]
    assert api.get("/tools", params={"page": 0}).json() == page
    system = api.get("/tools", params={"type": "system"}).json()
    assert system["total_count"] == 1 and system["data"][0]["tool_id"] == "end_call"
    assert system["data"][0]["is_system_tool"] is True
    assert api.get("/tools", params={"type": "all", "limit": 100}).json()["total_count"] == 13
    found = api.get("/tools", params={"name_or_uuid": "TOOL_1"}).json()
    assert {t["name"] for t in found["data"]} == {"tool_1", "tool_10", "tool_11"}
    assert api.get("/tools", params={"name_or_uuid": ids[0]}).json()["data"][0]["tool_id"] == ids[0]
    assert "type" in error_of(api.get("/tools", params={"type": "robot"}))
    assert "sort" in error_of(api.get("/tools", params={"sort": "up"}))


def test_end_call_is_never_created_updated_deleted_or_attached(
    api: httpx.Client, make_pal: MakePal
) -> None:
    assert api.get("/tools/end_call").json()["is_system_tool"] is True
    assert "System" in error_of(api.patch("/tools/end_call", json={"description": "x"}))
    assert "System" in error_of(api.delete("/tools/end_call"))
    pal_id = make_pal()["pal_id"]
    assert "end_call" in error_of(
        api.post(f"/pals/{pal_id}/tools", json={"tool_ids": ["end_call"]})
    )


def test_attach_is_idempotent_and_lists_registry_tools_only(
    api: httpx.Client, make_pal: MakePal, make_tool: MakeTool
) -> None:
    a, b = (
        make_tool("a_tool"),
        make_tool("b_tool", delivery={"api": {**API, "auth": {"type": "hmac", "secret": "s"}}}),
    )
    inline = {"llm": {"tools": [{"type": "function", "function": {"name": "inline_one"}}]}}
    pal = make_pal(layers=inline)
    first = api.post(f"/pals/{pal['pal_id']}/tools", json={"tool_ids": [a["tool_id"]]})
    assert first.status_code == 200 and [t["tool_id"] for t in first.json()["data"]] == [
        a["tool_id"]
    ]
    again = api.post(
        f"/pals/{pal['pal_id']}/tools/", json={"tool_ids": [a["tool_id"], b["tool_id"]]}
    )
    assert [t["tool_id"] for t in again.json()["data"]] == [a["tool_id"], b["tool_id"]]
    assert again.json()["data"][1]["delivery"]["api"]["auth"]["secret"] == "********"
    listed = api.get(f"/pals/{pal['pal_id']}/tools").json()
    assert set(listed) == {"data"} and [t["name"] for t in listed["data"]] == ["a_tool", "b_tool"]
    assert api.get(f"/pals/{pal['pal_id']}").json()["tool_ids"] == [a["tool_id"], b["tool_id"]]
    legacy = api.get(f"/personas/{pal['pal_id']}/tools").json()
    assert len(legacy["data"]) == 2


def test_attach_validation(api: httpx.Client, make_pal: MakePal) -> None:
    pal_id = make_pal()["pal_id"]
    bodies: list[object] = [{}, {"tool_ids": "x"}, {"tool_ids": [1]}, []]
    for body in bodies:
        assert "tool_ids" in error_of(api.post(f"/pals/{pal_id}/tools", json=body))
    assert "Invalid tool_id" in error_of(
        api.post(f"/pals/{pal_id}/tools", json={"tool_ids": ["t000000000000"]})
    )


def test_fifty_tool_cap(api: httpx.Client, make_pal: MakePal) -> None:
    ids = [api.post("/tools", json=tool_body(f"cap_{i}")).json()["tool_id"] for i in range(51)]
    pal_id = make_pal()["pal_id"]
    assert api.post(f"/pals/{pal_id}/tools", json={"tool_ids": ids[:50]}).status_code == 200
    assert "50" in error_of(api.post(f"/pals/{pal_id}/tools", json={"tool_ids": ids[50:]}))
    assert len(api.get(f"/pals/{pal_id}/tools").json()["data"]) == 50
    assert api.post("/pals", json=pal_body(tool_ids=ids[:50])).status_code == 200


def test_detach(api: httpx.Client, make_pal: MakePal, make_tool: MakeTool) -> None:
    tool = make_tool()
    pal_id = make_pal(tool_ids=[tool["tool_id"]])["pal_id"]
    assert api.get(f"/pals/{pal_id}").json()["tool_ids"] == [tool["tool_id"]]
    response = api.delete(f"/pals/{pal_id}/tools/{tool['tool_id']}")
    assert response.status_code == 204
    again = api.delete(f"/pals/{pal_id}/tools/{tool['tool_id']}")
    assert again.json() == {"error": "Bad Request. Tool not attached to this PAL"}
    assert again.status_code == 400


def test_soft_delete_detaches_everywhere(
    api: httpx.Client, make_pal: MakePal, make_tool: MakeTool
) -> None:
    tool, keep = make_tool("gone"), make_tool("kept")
    pals = [make_pal(tool_ids=[tool["tool_id"], keep["tool_id"]])["pal_id"] for _ in range(3)]
    assert api.delete(f"/tools/{tool['tool_id']}").status_code == 204
    for pal_id in pals:
        assert [t["name"] for t in api.get(f"/pals/{pal_id}/tools").json()["data"]] == ["kept"]
        assert api.get(f"/pals/{pal_id}").json()["tool_ids"] == [keep["tool_id"]]
