"""Test-only controls under ``/_emulator`` (hidden from the OpenAPI description)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import bad_request
from .faults import FaultBook, FaultSpec
from .json_body import NotJson, parse_json_body, read_body
from .request_log import RequestLog
from .service import EmulatorService


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: bool = True
    faults: bool = True
    requests: bool = True


class SeedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pals: list[Any] = Field(default_factory=list)
    tools: list[Any] = Field(default_factory=list)
    faces: list[Any] = Field(default_factory=list)
    documents: list[Any] = Field(default_factory=list)
    validate_documents: bool = Field(True, alias="validate")


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any] = Field(default_factory=dict)


def _parse(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise bad_request(f"{where}: {first['msg']}") from None


async def _body(request: Request) -> Any:
    try:
        return parse_json_body(await read_body(request))
    except NotJson as error:
        raise bad_request(str(error)) from None


def build_control_router() -> APIRouter:
    router = APIRouter(prefix="/_emulator", include_in_schema=False)

    def service(request: Request) -> EmulatorService:
        s: EmulatorService = request.app.state.service
        return s

    def faults(request: Request) -> FaultBook:
        f: FaultBook = request.app.state.faults
        return f

    def log(request: Request) -> RequestLog:
        r: RequestLog = request.app.state.request_log
        return r

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/reset")
    async def reset(request: Request) -> dict[str, bool]:
        spec: ResetRequest = _parse(ResetRequest, await _body(request))
        service(request).reset(seed=spec.seed)
        if spec.faults:
            faults(request).clear()
        if spec.requests:
            log(request).clear()
        return {"ok": True}

    @router.post("/seed")
    async def seed(request: Request) -> dict[str, list[str]]:
        spec: SeedRequest = _parse(SeedRequest, await _body(request))
        return service(request).seed(
            pals=spec.pals,
            tools=spec.tools,
            faces=spec.faces,
            documents=spec.documents,
            validate=spec.validate_documents,
        )

    @router.get("/faces")
    async def list_faces(request: Request) -> dict[str, Any]:
        return {"data": service(request).store.faces()}

    @router.post("/faults")
    async def add_fault(request: Request) -> dict[str, str]:
        spec: FaultSpec = _parse(FaultSpec, await _body(request))
        return {"id": faults(request).add(spec)}

    @router.get("/faults")
    async def list_faults(request: Request) -> dict[str, Any]:
        return {"data": faults(request).describe()}

    @router.delete("/faults")
    async def clear_faults(request: Request) -> Response:
        faults(request).clear()
        return Response(status_code=204)

    @router.delete("/faults/{rule_id}")
    async def remove_fault(request: Request, rule_id: str) -> Response:
        if not faults(request).remove(rule_id):
            raise bad_request(f"no fault rule {rule_id}")
        return Response(status_code=204)

    @router.post("/pals/{pal_id}/maker-draft")
    async def set_draft(request: Request, pal_id: str) -> dict[str, Any]:
        spec: DraftRequest = _parse(DraftRequest, await _body(request))
        service(request).set_draft(pal_id, spec.changes)
        return {"pal_id": pal_id, "maker_draft": True}

    @router.delete("/pals/{pal_id}/maker-draft")
    async def clear_draft(request: Request, pal_id: str) -> dict[str, Any]:
        existed = service(request).clear_draft(pal_id)
        return {"pal_id": pal_id, "maker_draft": False, "was_set": existed}

    @router.patch("/pals/{pal_id}")
    async def edit_pal(request: Request, pal_id: str) -> JSONResponse:
        return JSONResponse(service(request).edit_out_of_band(pal_id, await _body(request)))

    @router.delete("/pals/{pal_id}")
    async def delete_pal(request: Request, pal_id: str) -> Response:
        service(request).delete_out_of_band(pal_id)
        return Response(status_code=204)

    @router.get("/requests")
    async def requests(request: Request) -> dict[str, Any]:
        return log(request).snapshot()

    @router.delete("/requests")
    async def clear_requests(request: Request) -> Response:
        log(request).clear()
        return Response(status_code=204)

    return router
