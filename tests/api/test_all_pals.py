"""Listing every PAL: page 1, then the other pages concurrently; robust to servers without a
total and to PALs moving between pages."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from pal_provider.api import PalClient

BASE = "https://api.test/v2"


def _server(pals: list[dict[str, Any]], *, total: bool = True, cap: int = 100) -> Any:
    seen_pages: list[int] = []
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        limit = min(int(request.url.params.get("limit", "10")), cap)
        with lock:
            seen_pages.append(page)
        items = pals[(page - 1) * limit : page * limit]
        body: dict[str, Any] = {"data": items}
        if total:
            body["total_count"] = len(pals)
        return httpx.Response(200, json=body)

    return handle, seen_pages


def test_every_page_is_read_once_and_in_order() -> None:
    pals = [{"pal_id": f"p{i:011x}", "pal_name": f"P{i}"} for i in range(950)]
    handle, pages = _server(pals)
    client = PalClient(BASE, "k", transport=httpx.MockTransport(handle))

    listed = client.all_pals(concurrency=4)

    assert [p["pal_id"] for p in listed] == [p["pal_id"] for p in pals]
    assert sorted(pages) == list(range(1, 11)) and pages[0] == 1


def test_a_server_that_caps_the_limit_below_the_request_is_followed() -> None:
    pals = [{"pal_id": f"p{i:011x}"} for i in range(120)]
    handle, pages = _server(pals, cap=50)
    client = PalClient(BASE, "k", transport=httpx.MockTransport(handle))

    assert len(client.all_pals(limit=100)) == 120
    assert sorted(pages) == [1, 2, 3]


def test_without_a_total_the_pages_are_walked_one_after_another() -> None:
    pals = [{"pal_id": f"p{i:011x}"} for i in range(250)]
    handle, pages = _server(pals, total=False)
    client = PalClient(BASE, "k", transport=httpx.MockTransport(handle))

    assert len(client.all_pals()) == 250
    assert pages == [1, 2, 3]
