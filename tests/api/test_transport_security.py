"""The API key goes over https, or over http only to a loopback host, wherever the base URL
comes from: the client refuses anything else before its first request."""

from __future__ import annotations

import httpx
import pytest

from pal_provider.api import PalClient, insecure_transport

KEY = "key-planted-4b1f"


@pytest.mark.parametrize(
    "url",
    [
        "https://tavusapi.com/v2",
        "http://127.0.0.1:8787/v2",
        "http://127.8.9.10/v2",
        "http://localhost:9/v2",
        "http://[::1]:8080/v2",
    ],
)
def test_https_or_loopback_is_allowed(url: str) -> None:
    assert insecure_transport(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://tavusapi.com/v2",
        "http://10.0.0.5/v2",
        "http://192.168.1.2:8787/v2",
        "http://localhost.example.com/v2",
        "ftp://tavusapi.com/v2",
        "tavusapi.com/v2",
    ],
)
def test_plain_http_to_another_host_is_refused_before_any_request(url: str) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    transport = httpx.MockTransport(record)

    with pytest.raises(ValueError) as caught:
        PalClient(url, KEY, transport=transport)

    assert sent == []
    assert KEY not in str(caught.value)
    if url.startswith("http://"):
        assert "refusing to send the Tavus API key over plain http" in str(caught.value)
