"""Malformed input never gets a 5xx, is never stored, never hangs a request, and never fills
the log with a traceback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pal_emulator.testing import StartEmulator

BODIES = [
    pytest.param(b'{"pal_name": NaN}', id="NaN"),
    pytest.param(b'{"pal_name": "x", "greeting": Infinity}', id="Infinity"),
    pytest.param(b'{"pal_name": "x", "greeting": -Infinity}', id="-Infinity"),
    pytest.param(b'{"layers": {"llm": {"extra_body": {"temperature": 1e999}}}}', id="1e999"),
    pytest.param(b"[" * 1000 + b"]" * 1000, id="deep-array"),
    pytest.param(b'{"a":' * 900 + b"1" + b"}" * 900, id="deep-object"),
    pytest.param(b'{"pal_name": "\xff"}', id="not-utf8"),
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v2/pals"),
        ("PATCH", "/v2/pals/{pal}"),
        ("POST", "/v2/tools"),
        ("PATCH", "/v2/tools/{tool}"),
        ("POST", "/v2/pals/{pal}/tools"),
    ],
)
def test_bodies_that_are_not_strict_json_are_refused_and_never_stored(
    api: httpx.Client,
    make_pal: Callable[..., dict[str, Any]],
    make_tool: Callable[..., dict[str, Any]],
    method: str,
    path: str,
    body: bytes,
) -> None:
    pal = make_pal()["pal_id"]
    tool = make_tool()["tool_id"]

    response = api.request(
        method,
        path.format(pal=pal, tool=tool).removeprefix("/v2"),
        content=body,
        headers={"content-type": "application/json"},
    )

    assert response.status_code in (400, 422), response.text
    assert api.get("/pals").status_code == 200
    assert api.get(f"/pals/{pal}").status_code == 200
    assert api.get("/tools").status_code == 200


def test_a_huge_page_number_is_an_empty_page(api: httpx.Client) -> None:
    response = api.get("/pals", params={"page": 4611686018427387904, "limit": 100})
    assert response.status_code == 200 and response.json()["data"] == []
    assert api.get("/tools", params={"page": 4611686018427387904}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/pals/..%2F..%2Fetc%2Fpasswd", "/pals/a%2Fb", "/personas/..%2Fx"]
)
def test_a_malformed_pal_id_is_the_contracts_400(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 400
    assert response.json()["error"] in ("Invalid pal_id", "Invalid persona_id")


def _raw(url: str, request: bytes, *, read_timeout: float) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as conn:
        conn.sendall(request)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer and (chunk := conn.recv(65536)):
                answer += chunk
        except TimeoutError:
            pass
        return answer


def test_a_body_shorter_than_its_content_length_times_out(
    start_emulator_process: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAL_EMULATOR_BODY_TIMEOUT", "1")
    emulator = start_emulator_process()
    started = time.monotonic()
    answer = _raw(
        emulator.root_url,
        b"POST /v2/pals HTTP/1.1\r\nHost: x\r\nx-api-key: test-key\r\n"
        b'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"pal_na',
        read_timeout=10,
    )
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 8


def test_a_client_that_leaves_mid_body_costs_one_log_line(
    start_emulator_process: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAL_EMULATOR_BODY_TIMEOUT", "5")
    emulator = start_emulator_process()
    parts = urlsplit(emulator.root_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(
            b"POST /v2/pals HTTP/1.1\r\nHost: x\r\nx-api-key: test-key\r\n"
            b'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"pal_na'
        )
        time.sleep(0.3)
    time.sleep(0.5)
    assert httpx.get(f"{emulator.base_url}/pals", headers={"x-api-key": "test-key"}).is_success
    emulator.stop()
    output: list[Any] = [*emulator.output]
    if emulator.process.stdout is not None:
        output.append(emulator.process.stdout.read())
    text = "".join(str(part) for part in output)
    assert "Traceback" not in text, text[-3000:]
    assert text.count("\n") <= 4, text[-3000:]


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(
    value=_VALUES,
    depth=st.integers(min_value=0, max_value=200),
    target=st.sampled_from(["/pals", "/tools", "/pals/{pal}", "/tools/{tool}"]),
)
def test_fuzzed_bodies_with_non_json_numbers_and_deep_nesting_get_no_5xx(
    emulator_server: Any, value: Any, depth: int, target: str
) -> None:
    """Bodies mixing JSON with NaN, Infinity and deep nesting, against the writing endpoints."""
    headers = {"x-api-key": emulator_server.api_key, "content-type": "application/json"}
    text = json.dumps(
        {"pal_name": "Fuzz", "layers": {"llm": {"extra_body": value}}}, allow_nan=True
    )
    if depth:
        text = text[:-1] + f', "deep": {_nested(depth)}}}'
    with httpx.Client(base_url=emulator_server.base_url, headers=headers, timeout=30) as client:
        path = target.format(pal="p00000000000", tool="t000000000000")
        method = "PATCH" if "{" in target else "POST"
        response = client.request(method, path, content=text.encode())
        assert response.status_code < 500, (method, path, text[:200], response.text[:200])
        assert client.get("/pals").status_code == 200
