"""Every answer the contract lists maps to its named error, with a useful, secret-free message."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

from pal_provider.api import (
    InvalidPatch,
    MakerDraftConflict,
    NotAttached,
    NotFound,
    PalApiError,
    PalClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
)
from pal_provider.api._http import map_error
from tests.api.conftest import API_KEY, Script, reply

NO_RETRY = RetryPolicy(max_attempts=1)

Call = Callable[[PalClient], Any]


def get_pal(c: PalClient) -> Any:
    return c.get_pal("pcb7a34da5fe")


def create_pal(c: PalClient) -> Any:
    return c.create_pal({"pal_name": "a", "default_face_id": "r1"})


def patch_pal(c: PalClient) -> Any:
    return c.patch_pal("p1", [{"op": "replace", "path": "/greeting", "value": "x"}])


def get_tool(c: PalClient) -> Any:
    return c.get_tool("t1")


@pytest.mark.parametrize(
    ("call", "status", "body", "expected"),
    [
        (get_pal, 400, {"error": "Invalid pal_id"}, NotFound),
        (get_pal, 400, {"error": "Invalid persona_id"}, NotFound),
        (patch_pal, 400, {"error": "Invalid pal_id"}, NotFound),
        (get_pal, 404, {"message": "Not Found"}, NotFound),
        (get_tool, 400, {"error": "Tool not found"}, NotFound),
        (get_tool, 404, None, NotFound),
        (create_pal, 400, {"error": "system_prompt is required in full mode"}, ValidationFailed),
        # "not found" in a create's body error is about the body, not the (new) PAL
        (create_pal, 400, {"error": "Face not found"}, ValidationFailed),
        (patch_pal, 400, {"error": "Unknown model tavus-llama"}, ValidationFailed),
        (patch_pal, 422, {"message": "Invalid JSON patch format"}, InvalidPatch),
        (patch_pal, 409, {"conflict": "maker_changes", "draft": {}}, MakerDraftConflict),
        (get_pal, 401, {"message": "Invalid access token"}, Unauthorized),
        (get_pal, 403, {"message": "Forbidden"}, Unauthorized),
        (get_pal, 429, None, RateLimited),
        (get_pal, 503, "<html>upstream unavailable</html>", ServerError),
        (get_pal, 418, {"error": "teapot"}, PalApiError),
        (patch_pal, 409, {"conflict": "something_else"}, PalApiError),
    ],
)
def test_status_maps_to_named_error(
    make_client: Callable[..., PalClient],
    call: Call,
    status: int,
    body: Any,
    expected: type[PalApiError],
) -> None:
    client = make_client(Script(reply(status, body)), policy=NO_RETRY)
    with pytest.raises(PalApiError) as info:
        call(client)
    assert type(info.value) is expected
    assert info.value.status == status


def test_legacy_persona_not_found_is_not_found_with_method_and_path(
    make_client: Callable[..., PalClient],
) -> None:
    client = make_client(Script(reply(400, {"error": "Invalid persona_id"})), policy=NO_RETRY)
    with pytest.raises(NotFound) as info:
        client.delete_pal("p0")
    assert info.value.method == "DELETE"
    assert info.value.path == "/pals/p0"
    assert info.value.detail == "Invalid persona_id"


def test_validation_failed_carries_the_server_message(
    make_client: Callable[..., PalClient],
) -> None:
    message = "system_prompt is forbidden when pipeline_mode is echo"
    client = make_client(Script(reply(400, {"error": message})), policy=NO_RETRY)
    with pytest.raises(ValidationFailed) as info:
        create_pal(client)
    assert info.value.detail == message
    assert message in str(info.value)


def test_maker_conflict_explains_the_human_draft_and_force(
    make_client: Callable[..., PalClient],
) -> None:
    client = make_client(Script(reply(409, {"conflict": "maker_changes"})), policy=NO_RETRY)
    with pytest.raises(MakerDraftConflict) as info:
        patch_pal(client)
    text = str(info.value)
    assert "human is editing this PAL in PAL Maker" in text
    assert "unpublished" in text
    assert "force" in text


def test_unauthorized_names_where_to_fix_and_never_echoes_the_key(
    make_client: Callable[..., PalClient],
) -> None:
    echo = {"message": f"Invalid access token {API_KEY}"}
    client = make_client(Script(reply(401, echo)), policy=NO_RETRY)
    with pytest.raises(Unauthorized) as info:
        get_pal(client)
    err = info.value
    assert "TAVUS_API_KEY" in str(err)
    assert "palfleet:tavusApiKey" in str(err)
    for text in (str(err), repr(err), err.detail or ""):
        assert API_KEY not in text


def test_server_error_with_non_json_body_keeps_a_short_excerpt(
    make_client: Callable[..., PalClient],
) -> None:
    page = "<html>" + "x" * 5000 + "</html>"
    client = make_client(Script(reply(502, page)), policy=NO_RETRY)
    with pytest.raises(ServerError) as info:
        get_pal(client)
    assert info.value.detail is not None
    assert info.value.detail.startswith("<html>")
    assert len(str(info.value)) < 1000


def test_success_with_unreadable_body_is_unexpected_response(
    make_client: Callable[..., PalClient],
) -> None:
    client = make_client(Script(reply(200, "not json at all")), policy=NO_RETRY)
    with pytest.raises(UnexpectedResponse):
        get_pal(client)


def test_success_with_wrong_shape_is_unexpected_response(
    make_client: Callable[..., PalClient],
) -> None:
    client = make_client(Script(reply(200, {"data": "oops"})), policy=NO_RETRY)
    with pytest.raises(UnexpectedResponse):
        client.list_pals()


def test_errors_survive_pickling_with_their_fields() -> None:
    err = RateLimited("slow down", retry_after=3.0, status=429, method="GET", path="/pals")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is RateLimited
    assert (copy.retry_after, copy.status, copy.path, str(copy)) == (3.0, 429, "/pals", "slow down")


def test_tool_not_attached_maps_to_not_attached_a_kind_of_not_found() -> None:
    body = {"error": "Bad Request. Tool not attached to this PAL"}
    err = map_error(400, body, "", "DELETE", "/pals/p1/tools/t1", ())
    assert type(err) is NotAttached
    assert isinstance(err, NotFound)
