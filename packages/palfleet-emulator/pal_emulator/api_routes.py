"""The public API under ``/v2``: PALs (and their legacy ``/personas`` alias), tools, faces, and
(account_routes.py) guardrails, objective sets, documents and conversations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from . import faces
from .account_routes import add_account_routes
from .errors import ApiError, bad_request, invalid_patch
from .json_body import NotJson, parse_json_body, read_body
from .openapi_shapes import ATTACH_BODY, JSON_PATCH_BODY, PAL_BODY, TOOL_BODY, body
from .service import EmulatorService, invalid_pal_id, paging

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)


def _service(request: Request) -> EmulatorService:
    service: EmulatorService = request.app.state.service
    return service


def _check_key(request: Request, key: str | None = Depends(_api_key_header)) -> None:
    if key is None or key != request.app.state.api_key:
        raise ApiError(401, {"message": "Invalid access token"})


async def _json_body(request: Request, *, patch: bool = False) -> Any:
    raw = await read_body(request)
    try:
        return parse_json_body(raw)
    except NotJson as error:
        if patch:
            raise invalid_patch() from None
        raise bad_request(str(error)) from None


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data)


def build_api_router() -> APIRouter:
    router = APIRouter(prefix="/v2", dependencies=[Depends(_check_key)])
    # First: /pals/{pal_id}/skills must win over the PAL routes' catch-all for malformed ids.
    add_account_routes(router, _json_body)
    for collection, legacy in (("pals", False), ("personas", True)):
        _add_pal_routes(router, collection, legacy)
    _add_tool_routes(router)
    for collection, alias in (("faces", False), ("replicas", True)):
        _add_face_routes(router, collection, alias)
    return router


def _add_face_routes(router: APIRouter, collection: str, alias: bool) -> None:
    ident = "replica_id" if alias else "face_id"

    async def list_faces(
        request: Request,
        page: int | None = Query(None),
        limit: int | None = Query(None),
        face_type: str | None = Query(None),
        replica_type: str | None = Query(None),
        include_thumbnails: bool = Query(False),
    ) -> JSONResponse:
        size, offset = paging(page, limit)
        kind = face_type if face_type is not None else replica_type
        store = _service(request).store
        return _json(
            faces.list_faces(
                store,
                size=size,
                offset=offset,
                face_type=kind,
                alias=alias,
                thumbnails=include_thumbnails,
            )
        )

    async def get_face(
        request: Request, face_id: str, include_thumbnails: bool = Query(False)
    ) -> JSONResponse:
        store = _service(request).store
        return _json(faces.get_face(store, face_id, alias=alias, thumbnails=include_thumbnails))

    tag = "replicas (legacy)" if alias else "faces"
    router.add_api_route(f"/{collection}", list_faces, methods=["GET"], tags=[tag])
    router.add_api_route(
        f"/{collection}/{{face_id}}", get_face, methods=["GET"], tags=[tag], name=f"get_{ident}"
    )


def _add_pal_routes(router: APIRouter, collection: str, legacy: bool) -> None:
    base = f"/{collection}"
    one = f"{base}/{{pal_id}}"
    tag = "personas (legacy)" if legacy else "pals"
    suffix = "_legacy" if legacy else ""

    async def create_pal(request: Request) -> JSONResponse:
        return _json(_service(request).create_pal(await _json_body(request), legacy=legacy))

    async def list_pals(
        request: Request,
        page: int | None = Query(None),
        limit: int | None = Query(None),
        pal_type: str | None = Query(None),
        persona_type: str | None = Query(None),
    ) -> JSONResponse:
        kind = pal_type if pal_type is not None else persona_type
        return _json(
            _service(request).list_pals(page=page, limit=limit, pal_type=kind, legacy=legacy)
        )

    async def get_pal(request: Request, pal_id: str) -> JSONResponse:
        return _json(_service(request).get_pal(pal_id, legacy=legacy))

    async def patch_pal(request: Request, pal_id: str, force: bool = Query(False)) -> Response:
        patch = await _json_body(request, patch=True)
        outcome = _service(request).patch_pal(pal_id, patch, force=force, legacy=legacy)
        if outcome.body is None:
            return Response(status_code=304)
        return _json(outcome.body)

    async def delete_pal(request: Request, pal_id: str) -> Response:
        _service(request).delete_pal(pal_id, legacy=legacy)
        return Response(status_code=204)

    async def list_pal_tools(request: Request, pal_id: str) -> JSONResponse:
        return _json(_service(request).list_pal_tools(pal_id, legacy=legacy))

    async def attach_tools(request: Request, pal_id: str) -> JSONResponse:
        return _json(
            _service(request).attach_tools(pal_id, await _json_body(request), legacy=legacy)
        )

    async def detach_tool(request: Request, pal_id: str, tool_id: str) -> Response:
        _service(request).detach_tool(pal_id, tool_id, legacy=legacy)
        return Response(status_code=204)

    add = router.add_api_route
    add(
        base,
        create_pal,
        methods=["POST"],
        tags=[tag],
        name=f"create_pal{suffix}",
        openapi_extra=body(PAL_BODY),
    )
    add(base, list_pals, methods=["GET"], tags=[tag], name=f"list_pals{suffix}")
    add(one, get_pal, methods=["GET"], tags=[tag], name=f"get_pal{suffix}")
    add(
        one,
        patch_pal,
        methods=["PATCH"],
        tags=[tag],
        name=f"patch_pal{suffix}",
        openapi_extra=body(JSON_PATCH_BODY, "application/json", "application/json-patch+json"),
    )
    add(
        one, delete_pal, methods=["DELETE"], tags=[tag], name=f"delete_pal{suffix}", status_code=204
    )
    add(f"{one}/tools", list_pal_tools, methods=["GET"], tags=[tag], name=f"list_pal_tools{suffix}")
    add(
        f"{one}/tools",
        attach_tools,
        methods=["POST"],
        tags=[tag],
        name=f"attach_tools{suffix}",
        openapi_extra=body(ATTACH_BODY),
    )
    add(
        f"{one}/tools/{{tool_id}}",
        detach_tool,
        methods=["DELETE"],
        tags=[tag],
        name=f"detach_tool{suffix}",
        status_code=204,
    )

    async def malformed_pal_path(request: Request, rest: str) -> Response:
        # A pal_id that is no id (an encoded '/', '..'): the contract's 400, not a 404.
        raise invalid_pal_id(legacy)

    add(
        f"{base}/{{rest:path}}",
        malformed_pal_path,
        methods=["GET", "PATCH", "DELETE", "POST"],
        include_in_schema=False,
        name=f"malformed_pal_path{suffix}",
    )


def _add_tool_routes(router: APIRouter) -> None:
    async def create_tool(request: Request) -> JSONResponse:
        return _json(_service(request).create_tool(await _json_body(request)))

    async def list_tools(
        request: Request,
        page: int | None = Query(None),
        limit: int | None = Query(None),
        sort: str | None = Query(None),
        type: str | None = Query(None),
        name_or_uuid: str | None = Query(None),
    ) -> JSONResponse:
        return _json(
            _service(request).list_tools(
                page=page, limit=limit, sort=sort, tool_type=type, name_or_uuid=name_or_uuid
            )
        )

    async def get_tool(request: Request, tool_id: str) -> JSONResponse:
        return _json(_service(request).get_tool(tool_id))

    async def patch_tool(request: Request, tool_id: str) -> JSONResponse:
        return _json(_service(request).patch_tool(tool_id, await _json_body(request)))

    async def delete_tool(request: Request, tool_id: str) -> Response:
        _service(request).delete_tool(tool_id)
        return Response(status_code=204)

    add = router.add_api_route
    add("/tools", create_tool, methods=["POST"], tags=["tools"], openapi_extra=body(TOOL_BODY))
    add("/tools", list_tools, methods=["GET"], tags=["tools"])
    add("/tools/{tool_id}", get_tool, methods=["GET"], tags=["tools"])
    add(
        "/tools/{tool_id}",
        patch_tool,
        methods=["PATCH"],
        tags=["tools"],
        openapi_extra=body(TOOL_BODY),
    )
    add("/tools/{tool_id}", delete_tool, methods=["DELETE"], tags=["tools"], status_code=204)
