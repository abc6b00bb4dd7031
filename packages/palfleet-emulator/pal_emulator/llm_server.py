"""A local OpenAI-compatible chat server that streams, for ``palfleet llm check`` and its tests.

``POST {prefix}/chat/completions`` answers like an OpenAI-compatible deployment: a
``text/event-stream`` of ``chat.completion.chunk`` objects ending in ``data: [DONE]``. Its
settings reproduce what real custom LLMs get wrong, so each failure can be shown on loopback:

* ``api_key``: the bearer token it requires (401 otherwise);
* ``models``: the models it serves (404 "model not found" otherwise);
* ``required_query``: query parameters it requires with their values (400 otherwise, like an
  Azure deployment with the wrong ``api-version``);
* ``single_system``: a chat template that refuses a second system message (400);
* ``json_only``: it ignores ``stream: true`` and answers one JSON object;
* ``tools``: whether it accepts ``tools`` (400 otherwise);
* ``ttft_ms``: delay before the first token; ``no_done``: the stream ends without ``[DONE]``.

It records every request (path, query, headers, body) for the tests. Run it by hand with
``python -m pal_emulator.llm_server --port 8788 --model my-model --api-key KEY``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class LlmServerSettings:
    prefix: str = "/v1"
    api_key: str | None = None
    models: tuple[str, ...] = ("local-model",)
    required_query: dict[str, str] = field(default_factory=dict)
    single_system: bool = False
    json_only: bool = False
    tools: bool = True
    ttft_ms: float = 0.0
    no_done: bool = False
    reply: str = "Hello! How can I help?"


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    server: _LlmHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and the CLI print their own output

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": None}})

    def do_POST(self) -> None:
        settings = self.server.settings
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._error(400, "the body is not JSON", "invalid_request_error")
            return
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.server.record(
            RecordedRequest(
                parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body
            )
        )
        if parts.path != f"{settings.prefix}/chat/completions":
            self._error(404, f"no route {parts.path}", "not_found")
            return
        wanted = None if settings.api_key is None else f"Bearer {settings.api_key}"
        if wanted is not None and self.headers.get("Authorization") != wanted:
            self._error(401, "Incorrect API key provided", "invalid_request_error")
            return
        for key, value in settings.required_query.items():
            if query.get(key) != value:
                got = query.get(key)
                self._error(
                    400,
                    f"unsupported query parameter {key}={got!r}; this deployment needs "
                    f"{key}={value}",
                    "invalid_request_error",
                )
                return
        model = body.get("model")
        if model not in settings.models:
            self._error(404, f"The model `{model}` does not exist", "not_found")
            return
        messages = body.get("messages") or []
        systems = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
        if settings.single_system and len(systems) > 1:
            self._error(
                400,
                "System message must be at the beginning and only one system message is "
                "supported by this chat template",
                "invalid_request_error",
            )
            return
        if body.get("tools") and not settings.tools:
            self._error(400, "tools are not supported by this model", "invalid_request_error")
            return
        if settings.json_only or not body.get("stream"):
            self._json(200, self._completion(model))
            return
        self._stream(model)

    def _completion(self, model: str) -> dict[str, Any]:
        reply = self.server.settings.reply
        return {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
        }

    def _stream(self, model: str) -> None:
        settings = self.server.settings
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if settings.ttft_ms:
            time.sleep(settings.ttft_ms / 1000)
        words = settings.reply.split(" ")
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": (" " if i else "") + word} for i, word in enumerate(words)]
        for index, delta in enumerate(deltas):
            last = index == len(deltas) - 1
            chunk = {
                "id": "chatcmpl-local",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": "stop" if last else None}
                ],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        if not settings.no_done:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()


class _LlmHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], settings: LlmServerSettings) -> None:
        super().__init__(address, _Handler)
        self.settings = settings
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


@dataclass
class RunningLlmServer:
    url: str  # the base_url a PAL declares: http://127.0.0.1:PORT/v1
    server: _LlmHttpServer

    @property
    def settings(self) -> LlmServerSettings:
        return self.server.settings

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self.server.requests)


@contextmanager
def running_llm_server(
    settings: LlmServerSettings | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningLlmServer]:
    """Serve on ``host:port`` (0: a free port) in a thread until the block ends."""
    server = _LlmHttpServer((host, port), settings or LlmServerSettings())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bound = server.server_address[1]
        yield RunningLlmServer(f"http://{host}:{bound}{server.settings.prefix}", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pal_emulator.llm_server",
        description="A local OpenAI-compatible streaming chat server (loopback only).",
    )
    parser.add_argument("--port", type=int, default=8788)
    parser.add_argument("--model", action="append", default=[], help="a served model (repeat)")
    parser.add_argument("--api-key-env", help="environment variable holding the required key")
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    import os

    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    settings = LlmServerSettings(
        api_key=key, models=tuple(args.model or ["local-model"]), ttft_ms=args.ttft_ms
    )
    try:
        with running_llm_server(settings, port=args.port) as running:
            print(
                f"local LLM on {running.url} (models: {', '.join(settings.models)}); Ctrl-C stops"
            )
            threading.Event().wait()
    except OSError as exc:
        print(f"pal_emulator.llm_server: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
