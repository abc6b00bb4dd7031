"""The redaction helper, alone and as used by errors, reprs and logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pal_provider.api import PalApiError, PalClient, RetryPolicy, redact
from pal_provider.api._redact import MASK, is_secret_pointer, secret_values
from tests.api.conftest import API_KEY, BASE_URL, Script, reply

LLM_KEY = "sk-custom-llm-0123456789"
TOOL_TOKEN = "bearer-tool-token-abcdef"
HMAC = "hmac-shared-secret-99"
AUTH_VALUE = "query-api-key-value-77"


def test_values_under_secret_keys_are_masked() -> None:
    body: dict[str, Any] = {
        "layers": {"llm": {"api_key": LLM_KEY, "model": "m", "headers": {"Authorization": "B x"}}},
        "delivery": {
            "api": {
                "headers": {"X-API-Key": "hdr-secret"},
                "auth": {"type": "api_key", "name": "key", "value": AUTH_VALUE},
            }
        },
        "other": {"value": "not a secret", "client_secret": "cs", "password": "pw"},
    }
    out = redact(body)
    assert out["layers"]["llm"] == {
        "api_key": MASK,
        "model": "m",
        "headers": {"Authorization": MASK},
    }
    assert out["delivery"]["api"]["headers"] == {"X-API-Key": MASK}
    assert out["delivery"]["api"]["auth"] == {"type": "api_key", "name": "key", "value": MASK}
    assert out["other"] == {"value": "not a secret", "client_secret": MASK, "password": MASK}
    assert body["layers"]["llm"]["api_key"] == LLM_KEY, "input untouched"


def test_server_masks_and_empty_values_are_left_alone() -> None:
    assert redact({"token": "********", "secret": ""}) == {"token": "********", "secret": ""}


def test_known_secrets_are_masked_inside_text_and_text_is_truncated() -> None:
    text = f"upstream said {API_KEY} twice: {API_KEY}" + "." * 2000
    out = redact(text, secrets=[API_KEY])
    assert API_KEY not in out
    assert out.count(MASK) == 2
    assert len(out) < 600


def test_secret_values_found_in_bodies_and_json_patch_ops() -> None:
    body = {"auth": {"type": "bearer", "token": TOOL_TOKEN}, "name": "x"}
    ops = [
        {"op": "replace", "path": "/layers/llm/api_key", "value": LLM_KEY},
        {"op": "add", "path": "/layers/llm", "value": {"model": "m", "api_key": "nested-key-1"}},
        {"op": "replace", "path": "/greeting", "value": "hello there"},
    ]
    assert set(secret_values(body)) == {TOOL_TOKEN}
    assert set(secret_values(ops)) == {LLM_KEY, "nested-key-1"}
    masked = redact(ops)
    assert masked[0]["value"] == MASK
    assert masked[1]["value"]["api_key"] == MASK
    assert masked[2]["value"] == "hello there"


@pytest.mark.parametrize(
    ("pointer", "secret"),
    [
        ("/layers/llm/api_key", True),
        ("/layers/tts/api_key", True),
        ("/delivery/api/auth/value", True),
        ("/layers/llm/headers/Authorization", True),
        ("/value", False),
        ("/layers/llm/model", False),
        ("", False),
    ],
)
def test_secret_pointers(pointer: str, secret: bool) -> None:
    assert is_secret_pointer(pointer) is secret


def test_repr_of_client_shows_base_url_and_no_key() -> None:
    with PalClient(BASE_URL, API_KEY, transport=httpx.MockTransport(Script())) as client:
        text = repr(client)
    assert BASE_URL in text
    assert API_KEY not in text
    assert "redacted" in text


PLANTED = (API_KEY, LLM_KEY, TOOL_TOKEN, HMAC, AUTH_VALUE)
ECHO = f"rejected {API_KEY} {HMAC} {LLM_KEY} {TOOL_TOKEN} {AUTH_VALUE}"
TOOL = {
    "name": "lookup",
    "description": "d",
    "delivery": {"api": {"url": "https://x.example/h", "auth": {"type": "hmac", "secret": HMAC}}},
}
SECRET_OPS: list[dict[str, Any]] = [
    {"op": "replace", "path": "/layers/llm/api_key", "value": LLM_KEY},
    {"op": "replace", "path": "/x/auth", "value": {"type": "bearer", "token": TOOL_TOKEN}},
    {"op": "replace", "path": "/y/auth/value", "value": AUTH_VALUE},
]

Call = Callable[[PalClient], object]

# (what the client does, how the server answers, the secrets that request carried)
SCENARIOS: list[tuple[str, Call, list[httpx.Response | Exception], tuple[str, ...]]] = [
    ("create_tool 400 echo", lambda c: c.create_tool(TOOL), [reply(400, {"error": ECHO})], (HMAC,)),
    (
        "patch 5xx text then 400",
        lambda c: c.patch_pal("p1", SECRET_OPS),
        [reply(503, ECHO), reply(400, {"error": ECHO})],
        (LLM_KEY, TOOL_TOKEN, AUTH_VALUE),
    ),
    (
        "create_pal timeout",
        lambda c: c.create_pal({"pal_name": "a", "layers": {"llm": {"api_key": LLM_KEY}}}),
        [httpx.ReadTimeout(f"timeout talking to {API_KEY} {LLM_KEY}")],
        (LLM_KEY,),
    ),
    ("get 401 echo", lambda c: c.get_pal("p1"), [reply(401, {"message": ECHO})], ()),
    (
        "get connect error",
        lambda c: c.get_pal("p1"),
        [httpx.ConnectError(f"refused {API_KEY}")] * 2,
        (),
    ),
    ("get 500 json", lambda c: c.get_pal("p1"), [reply(500, {"detail": {"k": ECHO}})] * 2, ()),
]


@pytest.mark.parametrize(
    ("call", "answers", "carried"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_secrets_never_reach_errors_reprs_or_logs(
    make_client: Callable[..., PalClient],
    caplog: pytest.LogCaptureFixture,
    call: Call,
    answers: list[httpx.Response | Exception],
    carried: tuple[str, ...],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's own included
    client = make_client(Script(*answers), policy=RetryPolicy(max_attempts=2, backoff_base=0.0))
    with pytest.raises(PalApiError) as info:
        call(client)
    err = info.value
    texts = [str(err), repr(err), err.detail or "", *map(str, err.args), repr(client)]
    # the client masks the API key and the secrets the failing request carried (the server
    # echoing a secret it was never sent in this request is not something it can recognise)
    for secret in (API_KEY, *carried):
        assert all(secret not in t for t in texts), secret
    logged = []
    for record in caplog.records:
        logged.append(record.getMessage())
        logged.extend(repr(v) for v in vars(record).values())
    assert caplog.records
    assert [s for s in PLANTED if any(s in t for t in logged)] == []
