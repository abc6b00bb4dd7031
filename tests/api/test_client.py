"""The endpoint surface: requests sent, answers read, paging, and the shared client."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import pal_provider
from pal_provider.api import (
    InvalidPatch,
    NotFound,
    OutcomeUnknown,
    PalClient,
    RetryPolicy,
    get_client,
    patch_is_replay_safe,
)
from tests.api.conftest import API_KEY, BASE_URL, Script, reply

PAL = {"pal_id": "p1", "pal_name": "alpha", "created_at": "2025-01-01T00:00:00Z"}
FULL_PAL = {**PAL, "system_prompt": "s", "layers": {"llm": {"model": "m"}}, "updated_at": "x"}
REPLACE = [{"op": "replace", "path": "/greeting", "value": "hi"}]


# -- headers and URLs ----------------------------------------------------------------------------


def test_requests_carry_key_user_agent_and_base_path(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, PAL))
    make_client(script).get_pal("p1")
    request = script.requests[0]
    assert str(request.url) == f"{BASE_URL}/pals/p1"
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["user-agent"] == (
        f"palfleet/{pal_provider.__version__} (+python-httpx/{httpx.__version__})"
    )


def test_user_agent_suffix(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, PAL))
    make_client(script, user_agent="palfleet-cli/plan").get_pal("p1")
    assert script.requests[0].headers["user-agent"].endswith(") palfleet-cli/plan")


def test_path_segments_are_quoted(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, PAL))
    make_client(script).get_pal("a/b c?")
    assert script.requests[0].url.raw_path == b"/v2/pals/a%2Fb%20c%3F"


@pytest.mark.parametrize("bad", ["", "  "])
def test_empty_ids_are_rejected_before_any_request(
    make_client: Callable[..., PalClient], bad: str
) -> None:
    script = Script()
    client = make_client(script)
    with pytest.raises(ValueError, match="pal_id must be a non-empty string"):
        client.delete_pal(bad)
    with pytest.raises(ValueError, match="tool_id"):
        client.attach_tools("p1", ["t1", bad])
    assert script.requests == []


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="must start with https:"):
        PalClient("tavusapi.com/v2", API_KEY)
    with pytest.raises(ValueError, match="TAVUS_API_KEY"):
        PalClient(BASE_URL, " ")


def test_context_manager_closes() -> None:
    with PalClient(BASE_URL, API_KEY, transport=httpx.MockTransport(Script())) as client:
        assert not client.closed
    assert client.closed


# -- PALs ------------------------------------------------------------------------------------------


def test_create_pal_sends_the_body_and_returns_a_short_answer_as_is(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(reply(200, PAL))
    body = {"pal_name": "alpha", "default_face_id": "r1", "system_prompt": "s"}
    assert make_client(script).create_pal(body) == PAL
    assert script.requests[0].method == "POST"
    assert script.body() == body


def test_create_pal_fetch_full_reads_the_new_pal_when_the_answer_is_short(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(reply(200, {"persona_id": "p1", "persona_name": "alpha"}), reply(200, FULL_PAL))
    assert make_client(script).create_pal({"pal_name": "alpha"}, fetch_full=True) == FULL_PAL
    assert [r.method for r in script.requests] == ["POST", "GET"]


def test_create_pal_fetch_full_skips_the_get_when_the_answer_is_full(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(reply(200, FULL_PAL))
    assert make_client(script).create_pal({"pal_name": "alpha"}, fetch_full=True) == FULL_PAL
    assert len(script.requests) == 1


def test_get_pal_accepts_wrapped_legacy_bodies(make_client: Callable[..., PalClient]) -> None:
    legacy = {"persona_id": "p1", "persona_name": "alpha", "default_replica_id": "r1", "x": 1}
    got = make_client(Script(reply(200, {"data": [legacy]}))).get_pal("p1")
    assert got == {"pal_id": "p1", "pal_name": "alpha", "default_face_id": "r1", "x": 1}


def test_list_pals_sends_paging_and_type(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, {"data": [PAL], "total_count": 31}))
    page = make_client(script).list_pals(pal_type="system", page=3, limit=10)
    assert dict(script.requests[0].url.params) == {"pal_type": "system", "page": "3", "limit": "10"}
    assert (page.items, page.total_count, page.page, page.limit) == ([PAL], 31, 3, 10)


class PagedServer:
    """Serves ``count`` PALs, honouring ``page``/``limit`` up to ``cap`` per page."""

    def __init__(self, count: int, *, cap: int = 100, total: bool = True) -> None:
        self.pals = [{"pal_id": f"p{i:03d}"} for i in range(count)]
        self.cap, self.total = cap, total
        self.pages: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        limit = min(int(request.url.params["limit"]), self.cap)
        self.pages.append(page)
        chunk = self.pals[(page - 1) * limit : page * limit]
        body: dict[str, Any] = {"data": chunk}
        if self.total:
            body["total_count"] = len(self.pals)
        return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("count", "total", "cap", "limit", "pages"),
    [
        (250, True, 100, 100, [1, 2, 3]),  # stops once total_count items were seen
        (200, True, 100, 100, [1, 2]),  # exact multiple with a total: no empty extra page
        (250, False, 100, 100, [1, 2, 3]),  # no total: stops on the short page
        (200, False, 100, 100, [1, 2, 3]),  # no total, exact multiple: an empty page ends it
        (250, True, 100, 200, [1, 2, 3]),  # server caps limit below the ask: total keeps going
        (0, True, 100, 100, [1]),
    ],
)
def test_iter_pals_walks_every_page_and_stops(
    make_client: Callable[..., PalClient],
    count: int,
    total: bool,
    cap: int,
    limit: int,
    pages: list[int],
) -> None:
    server = PagedServer(count, cap=cap, total=total)
    got = [p["pal_id"] for p in make_client(server).iter_pals(limit=limit)]
    assert got == [p["pal_id"] for p in server.pals]
    assert server.pages == pages


def test_patch_sends_json_patch_as_application_json(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, {**FULL_PAL, "greeting": "hi"}))
    result = make_client(script).patch_pal("p1", REPLACE)
    request = script.requests[0]
    assert request.method == "PATCH"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == REPLACE
    assert "force" not in request.url.params
    assert result.changed and result.document is not None
    assert result.document["greeting"] == "hi"
    assert not result.discarded_maker_changes


def test_patch_304_is_success_without_change(make_client: Callable[..., PalClient]) -> None:
    result = make_client(Script(reply(304))).patch_pal("p1", REPLACE)
    assert (result.changed, result.document) == (False, None)


def test_patch_force_discards_maker_changes(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(200, {**FULL_PAL, "discarded_maker_changes": True}))
    result = make_client(script).patch_pal("p1", REPLACE, force=True)
    assert script.requests[0].url.params["force"] == "true"
    assert result.discarded_maker_changes
    assert result.document is not None and "discarded_maker_changes" not in result.document


def test_replay_safe_patch_is_retried_and_a_replayed_304_counts_as_changed(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(httpx.ReadTimeout("no answer"), reply(304))
    result = make_client(script).patch_pal("p1", REPLACE)
    assert len(script.requests) == 2
    assert result.changed and result.document is None


def test_replayed_patch_rejected_with_422_is_outcome_unknown(
    make_client: Callable[..., PalClient],
) -> None:
    ops = [{"op": "remove", "path": "/greeting"}]
    script = Script(reply(502), reply(422, {"message": "Invalid JSON patch format"}))
    with pytest.raises(OutcomeUnknown, match="Re-read the PAL"):
        make_client(script).patch_pal("p1", ops)
    assert len(script.requests) == 2


def test_first_attempt_422_stays_invalid_patch(make_client: Callable[..., PalClient]) -> None:
    with pytest.raises(InvalidPatch):
        make_client(Script(reply(422, {"message": "bad"}))).patch_pal("p1", REPLACE)


def test_patch_that_is_not_replay_safe_is_not_repeated(
    make_client: Callable[..., PalClient],
) -> None:
    ops = [{"op": "add", "path": "/memories/-", "value": "x"}]
    script = Script(reply(503))
    with pytest.raises(OutcomeUnknown):
        make_client(script).patch_pal("p1", ops)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("ops", "safe"),
    [
        ([{"op": "replace", "path": "/a/0", "value": 1}], True),
        ([{"op": "add", "path": "/layers/llm/model", "value": "m"}], True),
        ([{"op": "remove", "path": "/greeting"}], True),
        ([{"op": "add", "path": "/tool_ids", "value": ["t1"]}], True),
        ([{"op": "add", "path": "/tool_ids/-", "value": "t1"}], False),
        ([{"op": "add", "path": "/tool_ids/0", "value": "t1"}], False),
        ([{"op": "remove", "path": "/tool_ids/0"}], False),
        ([{"op": "test", "path": "/a", "value": 1}], False),
        ([{"op": "move", "from": "/a", "path": "/b"}], False),
        ([{"op": "copy", "from": "/a", "path": "/b"}], False),
        ([], True),
    ],
)
def test_patch_replay_safety(ops: list[dict[str, Any]], safe: bool) -> None:
    assert patch_is_replay_safe(ops) is safe


def test_delete_pal_missing_raises_and_if_exists_says_false(
    make_client: Callable[..., PalClient],
) -> None:
    gone = {"error": "Invalid pal_id"}
    client = make_client(Script(reply(400, gone), reply(400, gone), reply(204)))
    with pytest.raises(NotFound):
        client.delete_pal("p1")
    assert client.delete_pal_if_exists("p1") is False
    assert client.delete_pal_if_exists("p1") is True


def test_delete_retried_after_it_may_have_applied_treats_gone_as_done(
    make_client: Callable[..., PalClient],
) -> None:
    script = Script(httpx.ReadTimeout("no answer"), reply(400, {"error": "Invalid pal_id"}))
    make_client(script).delete_pal("p1")
    assert [r.method for r in script.requests] == ["DELETE", "DELETE"]


# -- tools -----------------------------------------------------------------------------------------

TOOL = {"tool_id": "t1", "name": "lookup", "description": "d"}


def test_tool_endpoints(make_client: Callable[..., PalClient]) -> None:
    script = Script(
        reply(200, TOOL),
        reply(200, {"data": [TOOL]}),
        reply(200, {"data": [TOOL], "total_count": 1}),
        reply(200, {**TOOL, "description": "e"}),
        reply(204),
    )
    client = make_client(script)
    assert client.create_tool({"name": "lookup", "description": "d"}) == TOOL
    assert client.get_tool("t1") == TOOL
    page = client.list_tools(type="all", page=2, limit=5, name_or_uuid="look", sort="desc")
    assert page.items == [TOOL]
    assert client.update_tool("t1", {"description": "e"})["description"] == "e"
    client.delete_tool("t1")
    sent = [(r.method, r.url.path) for r in script.requests]
    assert sent == [
        ("POST", "/v2/tools"),
        ("GET", "/v2/tools/t1"),
        ("GET", "/v2/tools"),
        ("PATCH", "/v2/tools/t1"),
        ("DELETE", "/v2/tools/t1"),
    ]
    assert dict(script.requests[2].url.params) == {
        "type": "all",
        "page": "2",
        "limit": "5",
        "name_or_uuid": "look",
        "sort": "desc",
    }
    assert script.body(3) == {"description": "e"}


def test_iter_tools_pages(make_client: Callable[..., PalClient]) -> None:
    tools = [{"tool_id": f"t{i}"} for i in range(3)]
    script = Script(
        reply(200, {"data": tools[:2], "total_count": 3}),
        reply(200, {"data": tools[2:], "total_count": 3}),
    )
    assert list(make_client(script).iter_tools(limit=2)) == tools


def test_attach_list_detach(make_client: Callable[..., PalClient]) -> None:
    script = Script(
        reply(200, {"data": [TOOL]}),
        reply(200, {"data": [TOOL]}),
        reply(204),
        reply(400, {"error": "Bad Request. Tool not attached to this PAL"}),
    )
    client = make_client(script)
    assert client.attach_tools("p1", ["t1"]) == [TOOL]
    assert script.body(0) == {"tool_ids": ["t1"]}
    assert client.list_attached_tools("p1") == [TOOL]
    assert client.detach_tool("p1", "t1") is True
    assert client.detach_tool("p1", "t1") is False
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("POST", "/v2/pals/p1/tools"),
        ("GET", "/v2/pals/p1/tools"),
        ("DELETE", "/v2/pals/p1/tools/t1"),
        ("DELETE", "/v2/pals/p1/tools/t1"),
    ]


def test_detach_from_a_missing_pal_raises_not_found(make_client: Callable[..., PalClient]) -> None:
    client = make_client(Script(reply(400, {"error": "Invalid pal_id"})))
    with pytest.raises(NotFound):
        client.detach_tool("p404", "t1")


def test_attach_is_retried_as_idempotent(make_client: Callable[..., PalClient]) -> None:
    script = Script(reply(503), reply(200, {"data": [TOOL]}))
    assert make_client(script).attach_tools("p1", ["t1"]) == [TOOL]
    assert len(script.requests) == 2


# -- the shared client -------------------------------------------------------------------------------


def test_get_client_is_one_instance_per_base_url_and_key() -> None:
    transport = httpx.MockTransport(Script())
    a = get_client(BASE_URL, API_KEY, transport=transport)
    assert get_client(BASE_URL + "/", API_KEY) is a
    assert get_client(BASE_URL, API_KEY + "x", transport=transport) is not a
    assert get_client("https://other.test/v2", API_KEY, transport=transport) is not a
    a.close()
    assert get_client(BASE_URL, API_KEY, transport=transport) is not a


def test_get_client_from_eight_threads_shares_one_working_client() -> None:
    lock = threading.Lock()
    active = {"now": 0, "max": 0}
    both_in_flight = threading.Barrier(2, timeout=10)

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        try:
            if request.url.path.endswith(("p0", "p1")):
                both_in_flight.wait()  # proves two requests really run at the same time
            pal_id = request.url.path.rsplit("/", 1)[-1]
            return httpx.Response(200, json={"pal_id": pal_id})
        finally:
            with lock:
                active["now"] -= 1

    transport = httpx.MockTransport(handler)
    start = threading.Barrier(8, timeout=10)
    clients: list[PalClient] = []
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        start.wait()
        client = get_client(BASE_URL, API_KEY, transport=transport)
        clients.append(client)
        results[n] = [client.get_pal(f"p{n}")["pal_id"]] + [
            client.get_pal(f"q{n}-{i}")["pal_id"] for i in range(5)
        ]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(clients) == 8
    assert all(c is clients[0] for c in clients)
    assert results == {n: [f"p{n}"] + [f"q{n}-{i}" for i in range(5)] for n in range(8)}
    assert active["max"] >= 2


def test_get_client_does_not_block_while_another_thread_waits_on_io() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(10)
        return httpx.Response(200, json=PAL)

    busy = get_client(BASE_URL, API_KEY, transport=httpx.MockTransport(slow))
    worker = threading.Thread(target=busy.get_pal, args=("p1",))
    worker.start()
    try:
        assert entered.wait(5)
        other: list[PalClient] = []
        t = threading.Thread(
            target=lambda: other.append(get_client("https://b.test", API_KEY, policy=RetryPolicy()))
        )
        t.start()
        t.join(timeout=2)
        assert other, "get_client blocked while a request was in flight"
    finally:
        release.set()
        worker.join(5)


def test_face_names_read_both_spellings_and_tolerate_an_api_without_faces(
    make_client: Callable[..., PalClient],
) -> None:
    faces = {
        "data": [
            {"face_id": "r4067604db72", "face_name": "Lucy - Home"},
            {"replica_id": "r90bbd427f71", "replica_name": "Anna - Office"},
        ],
        "total_count": 2,
    }
    assert make_client(Script(reply(200, faces))).face_names() == {
        "r4067604db72": "Lucy - Home",
        "r90bbd427f71": "Anna - Office",
    }
    assert make_client(Script(reply(404, {"message": "Not found"}))).face_names() == {}
