"""``/v2`` routes of guardrails, objective sets, documents and conversations (contract §8-10)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from .account_records import CONVERSATION, DOCUMENT, GUARDRAIL, OBJECTIVES, AccountRecords
from .errors import bad_request
from .service import EmulatorService, paging


def _records(request: Request) -> AccountRecords:
    service: EmulatorService = request.app.state.service
    return service.records


def _answer(doc: dict[str, Any] | None) -> Response:
    return Response(status_code=304) if doc is None else JSONResponse(doc)


def add_account_routes(router: APIRouter, json_body: Any) -> None:
    """``json_body(request, patch=False)`` parses a body with the contract's errors."""
    add = router.add_api_route

    # guardrails -------------------------------------------------------------------------------
    async def create_guardrail(request: Request) -> JSONResponse:
        return JSONResponse(_records(request).create_guardrail(await json_body(request)))

    async def list_guardrails(
        request: Request,
        page: int | None = Query(None),
        limit: int | None = Query(None),
        name_or_uuid: str | None = Query(None),
        type: str | None = Query(None),
        sort: str | None = Query(None),
        tags: str | None = Query(None),
    ) -> JSONResponse:
        size, offset = paging(page, limit)
        return JSONResponse(
            _records(request).list_guardrails(
                size=size, offset=offset, name_or_uuid=name_or_uuid, kind=type, sort=sort, tags=tags
            )
        )

    async def guardrail_tags(request: Request) -> JSONResponse:
        return JSONResponse(_records(request).guardrail_tags())

    async def get_guardrail(request: Request, guardrail_id: str) -> JSONResponse:
        return JSONResponse(_records(request).load(GUARDRAIL, guardrail_id))

    async def patch_guardrail(request: Request, guardrail_id: str) -> Response:
        patch = await json_body(request, patch=True)
        return _answer(_records(request).patch_guardrail(guardrail_id, patch))

    async def delete_guardrail(request: Request, guardrail_id: str) -> Response:
        _records(request).delete(GUARDRAIL, guardrail_id)
        return Response(status_code=204)

    tags: list[str | Enum] = ["guardrails"]
    add("/guardrails", create_guardrail, methods=["POST"], tags=tags)
    add("/guardrails", list_guardrails, methods=["GET"], tags=tags)
    add("/guardrails/tags", guardrail_tags, methods=["GET"], tags=tags)
    add("/guardrails/{guardrail_id}", get_guardrail, methods=["GET"], tags=tags)
    add("/guardrails/{guardrail_id}", patch_guardrail, methods=["PATCH"], tags=tags)
    add("/guardrails/{guardrail_id}", delete_guardrail, methods=["DELETE"], tags=tags)

    # objective sets ---------------------------------------------------------------------------
    async def create_objectives(request: Request) -> JSONResponse:
        return JSONResponse(_records(request).create_objectives(await json_body(request)))

    async def validate_objectives(request: Request) -> JSONResponse:
        return JSONResponse(_records(request).validate_objectives(await json_body(request)))

    async def list_objectives(
        request: Request, page: int | None = Query(None), limit: int | None = Query(None)
    ) -> JSONResponse:
        size, offset = paging(page, limit)
        return JSONResponse(_records(request).list_records(OBJECTIVES, size=size, offset=offset))

    async def get_objectives(request: Request, objectives_id: str) -> JSONResponse:
        return JSONResponse(_records(request).load(OBJECTIVES, objectives_id))

    async def patch_objectives(request: Request, objectives_id: str) -> Response:
        patch = await json_body(request, patch=True)
        return _answer(_records(request).patch_objectives(objectives_id, patch))

    async def delete_objectives(request: Request, objectives_id: str) -> Response:
        _records(request).delete(OBJECTIVES, objectives_id)
        return Response(status_code=204)

    tags = ["objectives"]
    add("/objectives", create_objectives, methods=["POST"], tags=tags)
    add("/objectives", list_objectives, methods=["GET"], tags=tags)
    add("/objectives/validate", validate_objectives, methods=["POST"], tags=tags)
    add("/objectives/{objectives_id}", get_objectives, methods=["GET"], tags=tags)
    add("/objectives/{objectives_id}", patch_objectives, methods=["PATCH"], tags=tags)
    add("/objectives/{objectives_id}", delete_objectives, methods=["DELETE"], tags=tags)

    # documents (read-only: seeded through the test controls) ----------------------------------
    docs: list[str | Enum] = ["documents"]

    async def list_documents(
        request: Request, page: int | None = Query(None), limit: int | None = Query(None)
    ) -> JSONResponse:
        size, offset = paging(page, limit)
        return JSONResponse(_records(request).list_records(DOCUMENT, size=size, offset=offset))

    async def get_document(request: Request, document_id: str) -> JSONResponse:
        return JSONResponse(_records(request).load(DOCUMENT, document_id))

    add("/documents", list_documents, methods=["GET"], tags=docs)
    add("/documents/{document_id}", get_document, methods=["GET"], tags=docs)

    # conversations (a minimal record, no media) -----------------------------------------------
    async def create_conversation(request: Request) -> JSONResponse:
        service: EmulatorService = request.app.state.service
        body = await json_body(request)
        return JSONResponse(service.records.create_conversation(body, service.default_face_of))

    async def list_conversations(
        request: Request,
        page: int | None = Query(None),
        limit: int | None = Query(None),
        status: str | None = Query(None),
    ) -> JSONResponse:
        if status not in (None, "active", "ended"):
            raise bad_request("status must be active or ended")
        size, offset = paging(page, limit)
        return JSONResponse(
            _records(request).list_conversations(size=size, offset=offset, status=status)
        )

    async def get_conversation(
        request: Request, conversation_id: str, verbose: bool = Query(False)
    ) -> JSONResponse:
        return JSONResponse(_records(request).get_conversation(conversation_id, verbose=verbose))

    async def end_conversation(request: Request, conversation_id: str) -> JSONResponse:
        return JSONResponse(_records(request).end_conversation(conversation_id))

    async def delete_conversation(request: Request, conversation_id: str) -> Response:
        _records(request).delete(CONVERSATION, conversation_id)
        return Response(status_code=204)

    tags = ["conversations"]
    add("/conversations", create_conversation, methods=["POST"], tags=tags)
    add("/conversations", list_conversations, methods=["GET"], tags=tags)
    add("/conversations/{conversation_id}", get_conversation, methods=["GET"], tags=tags)
    add("/conversations/{conversation_id}/end", end_conversation, methods=["POST"], tags=tags)
    add("/conversations/{conversation_id}", delete_conversation, methods=["DELETE"], tags=tags)

    # outside the contract ---------------------------------------------------------------------
    # `tavus pal options` also reads these catalogs; the emulator has none of their objects
    # and answers empty lists (DECISION, documented in the package docs), so the command works.
    async def empty_list(request: Request) -> JSONResponse:
        return JSONResponse({"data": [], "total_count": 0})

    async def pal_skills(request: Request, pal_id: str) -> JSONResponse:
        service: EmulatorService = request.app.state.service
        service.get_pal(pal_id, legacy=False)  # the contract's 400 for an unknown PAL
        return JSONResponse({"data": {}})

    for collection in ("/voices", "/skills", "/pronunciation-dictionaries"):
        add(collection, empty_list, methods=["GET"], include_in_schema=False)
    add("/pals/{pal_id}/skills", pal_skills, methods=["GET"], include_in_schema=False)
