"""Assembly of the emulator: FastAPI app, error bodies, routers, ASGI front layer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .api_routes import build_api_router
from .control_routes import build_control_router
from .errors import ApiError
from .faults import FaultBook
from .request_log import RequestLog
from .service import EmulatorService
from .store import Store
from .transport import EmulatorASGI

DEFAULT_API_KEY = "emulator-key"


@dataclass
class Emulator:
    """Everything one running emulator holds; ``asgi`` is what the server runs."""

    service: EmulatorService
    faults: FaultBook
    request_log: RequestLog
    fastapi: FastAPI
    asgi: EmulatorASGI


def create_emulator(
    *, api_key: str = DEFAULT_API_KEY, db: str | None = None, seed: bool = True
) -> Emulator:
    store = Store(db)
    service = EmulatorService(store, seed=seed)
    faults = FaultBook()
    log = RequestLog()
    app = FastAPI(
        title="palfleet PAL API emulator",
        version="2",
        description="Independent implementation of the Tavus PAL API contract (../shared/pal-api.md).",
    )
    app.state.service = service
    app.state.api_key = api_key
    app.state.faults = faults
    app.state.request_log = log

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(sqlite3.IntegrityError)
    async def _conflict(_: Request, exc: sqlite3.IntegrityError) -> JSONResponse:
        # Only reachable through the unchecked controls (seed without validation, out-of-band
        # edits): e.g. two PALs given the same conferencing username.
        return JSONResponse({"error": f"conflicts with stored data: {exc}"}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _bad_query(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": ("request",), "msg": "invalid"}
        field = str(first["loc"][-1])
        return JSONResponse({"error": f"{field}: {first['msg']}"}, status_code=400)

    app.include_router(build_api_router())
    app.include_router(build_control_router())
    return Emulator(service, faults, log, app, EmulatorASGI(app, faults, log, api_key))
