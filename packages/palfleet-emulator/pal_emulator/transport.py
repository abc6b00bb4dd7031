"""The ASGI layer in front of the FastAPI app: trailing slashes, fault injection,
connection drops and the request log.

Dropping a connection needs the socket, which ASGI does not expose. uvicorn's h11
protocol hands the application its ``RequestResponseCycle.send`` bound method, whose
owner holds the ``transport``; closing it (and marking the cycle disconnected so
uvicorn does not try to write a 500) makes the client see the connection end with
no response at all. Under any other server the drop falls back to raising
``ConnectionDropped`` inside the application.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .faults import FaultBook, FaultDecision
from .request_log import RequestLog

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/v2"


class ConnectionDropped(Exception):
    """Raised when a drop is requested but the server gives no access to the socket."""


def _drop(send: Send) -> None:
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("fault injection: connection dropped")
    cycle.disconnected = True  # type: ignore[union-attr]
    transport.close()


async def _send_fault(send: Send, decision: FaultDecision) -> int:
    status = decision.status or 500
    headers = [(b"connection", b"close")]
    if decision.retry_after is not None:
        seconds = decision.retry_after
        value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        headers.append((b"retry-after", value.encode()))
    if decision.body is not None:
        payload = decision.body.encode()
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    else:
        message = "Too many requests" if status == 429 else f"Injected fault (status {status})"
        payload = json.dumps({"message": message}).encode()
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
    return status


class EmulatorASGI:
    def __init__(self, app: ASGIApp, faults: FaultBook, log: RequestLog, api_key: str) -> None:
        self.app = app
        self.api_key = api_key.encode()
        self.faults = faults
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        started = time.perf_counter()
        decision = self.faults.decide(method, path)
        fault_name: str | None = None
        if decision is not None:
            if decision.latency_ms:
                await asyncio.sleep(decision.latency_ms / 1000)
            if decision.drop == "before":
                self.log.record(method, path, 0, _ms(started), "drop-before")
                _drop(send)
                return
            if decision.status is not None:
                status = await _send_fault(send, decision)
                self.log.record(method, path, status, _ms(started), f"status-{status}")
                return
            fault_name = "drop-after" if decision.drop == "after" else "latency"

        status_seen = 0
        if not self._authorized(scope):
            payload = b'{"message":"Invalid access token"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            self.log.record(method, path, 401, _ms(started), fault_name)
            if decision is not None and decision.drop == "after":
                _drop(send)
            return

        if decision is not None and decision.drop == "after":

            async def swallow(message: Message) -> None:
                nonlocal status_seen
                if message["type"] == "http.response.start":
                    status_seen = int(message["status"])

            await self.app(scope, receive, swallow)
            self.log.record(method, path, status_seen, _ms(started), fault_name)
            _drop(send)
            return

        async def recording_send(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.log.record(method, path, status_seen, _ms(started), fault_name)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                return bool(value == self.api_key)
        return False


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
