"""``palfleet llm check``: send each custom-LLM PAL's endpoint the request Tavus would send.

For every PAL whose LLM layer has a ``base_url``, the official ``openai`` client (whose
``base_url``, ``default_headers``, ``default_query`` and ``extra_body`` are exactly the
layer's fields) posts ``{base_url}/chat/completions`` with ``stream: true``, the declared
model, the key as a bearer token, the PAL's messages (system prompt and context; the
perception system message ``raven-1`` adds; a short probe turn) and its LLM tools. The raw
event stream is then checked: status, ``text/event-stream``, every chunk an OpenAI
``chat.completion.chunk``, a final ``[DONE]``, time to first token and to completion.
Common failures are named with their fix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pal_provider.core.masking import replace_secret_refs, secret_refs
from pal_provider.gitops.secret_source import secret_lookup
from pal_provider.gitops.session import CommandError, load_declared, scrub

PROBE = "Hi, can you hear me? Please answer in one short sentence."
PERCEPTION_CONTEXT = (
    "<user_appearance>A person in their thirties at a desk, looking at the camera, "
    "smiling.</user_appearance>\n"
    "<user_emotions>Calm, attentive.</user_emotions>\n"
    "<user_screenshare>No screen is shared.</user_screenshare>"
)
ROUTE = "/chat/completions"
DEFAULT_TIMEOUT_S = 30.0
Verdict = Literal["ready", "slow", "failed"]


@dataclass
class LlmCheck:
    pal: str
    base_url: str
    model: str
    status: int | None = None
    content_type: str | None = None
    chunks: int = 0
    done: bool = False
    ttft_ms: float | None = None
    total_ms: float | None = None
    tools_sent: int = 0
    tools_accepted: bool | None = None
    reply: str = ""
    problem: str | None = None
    fix: str | None = None
    verdict: Verdict = "ready"

    def fail(self, problem: str, fix: str) -> None:
        self.problem, self.fix, self.verdict = problem, fix, "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "pal": self.pal,
            "base_url": self.base_url,
            "model": self.model,
            "verdict": self.verdict,
            "http_status": self.status,
            "content_type": self.content_type,
            "chunks": self.chunks,
            "done": self.done,
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 1),
            "total_ms": None if self.total_ms is None else round(self.total_ms, 1),
            "tools_sent": self.tools_sent,
            "tools_accepted": self.tools_accepted,
            "problem": self.problem,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class LlmRequest:
    """What Tavus would send to one PAL's custom LLM (secret values in place; ``repr`` leaves
    them out)."""

    pal: str
    base_url: str
    api_key: str = field(repr=False)
    model: str
    headers: dict[str, str] = field(repr=False)
    default_query: dict[str, Any] = field(repr=False)
    extra_body: dict[str, Any] = field(repr=False)
    messages: list[dict[str, str]] = field(repr=False)
    tools: list[dict[str, Any]] = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def _llm(body: Mapping[str, Any]) -> dict[str, Any]:
    layers = body.get("layers") or {}
    llm = layers.get("llm") if isinstance(layers, dict) else None
    return llm if isinstance(llm, dict) else {}


def perception_adds_context(body: Mapping[str, Any]) -> bool:
    """``raven-1`` (the default) sends the custom LLM a perception system message."""
    layers = body.get("layers") or {}
    perception = layers.get("perception") if isinstance(layers, dict) else None
    model = perception.get("perception_model") if isinstance(perception, dict) else None
    return (model or "raven-1") == "raven-1"


def messages_for(body: Mapping[str, Any]) -> list[dict[str, str]]:
    prompt = str(body.get("system_prompt") or "")
    context = str(body.get("context") or "")
    system = "\n\n".join(part for part in (prompt, context) if part)
    messages = [{"role": "system", "content": system}]
    if perception_adds_context(body):
        messages.append({"role": "system", "content": PERCEPTION_CONTEXT})
    messages.append({"role": "user", "content": PROBE})
    return messages


def openai_tools(
    pal_body: Mapping[str, Any], registry: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The PAL's LLM-origin registry tools, and legacy inline ones, as OpenAI ``tools``."""
    tools: list[dict[str, Any]] = []
    for tool in registry:
        if (tool.get("origin") or "llm") != "llm":
            continue
        function: dict[str, Any] = {"name": tool["name"]}
        if tool.get("description"):
            function["description"] = tool["description"]
        function["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
        tools.append({"type": "function", "function": function})
    inline = _llm(pal_body).get("tools") or []
    tools += [dict(tool) for tool in inline if isinstance(tool, dict)]
    return tools


def _values_of(values: dict[str, str]) -> Callable[[str, str], str]:
    return lambda _pointer, key: values[key]


def build_requests(
    stack: str, root: Path, pal_filter: list[str], secret: Callable[[str], str | None]
) -> list[LlmRequest]:
    """One request per PAL on a custom LLM; raises :class:`CommandError` (missing secrets,
    unknown --pal) before anything is sent."""
    loaded = load_declared(stack, root)
    fleet = loaded.fleet
    unknown = [name for name in pal_filter if name not in fleet.pals]
    if unknown:
        raise CommandError(
            f"--pal {', '.join(unknown)}: no such PAL in stack {stack!r} "
            f"(declared: {', '.join(sorted(fleet.pals))})"
        )
    requests: list[LlmRequest] = []
    missing: dict[str, list[str]] = {}
    for name, pal in fleet.pals.items():
        if pal_filter and name not in pal_filter:
            continue
        llm = _llm(pal.body)
        if not llm.get("base_url"):
            continue
        refs = secret_refs(llm)
        values = {}
        for key in sorted(set(refs.values())):
            value = secret(key)
            if value is None:
                missing.setdefault(key, []).append(name)
            else:
                values[key] = value
        if any(key not in values for key in refs.values()):
            continue
        resolved = replace_secret_refs(llm, _values_of(values))
        assert isinstance(resolved, dict)
        registry = [fleet.tools[tool].body for tool in pal.tool_names if tool in fleet.tools]
        requests.append(
            LlmRequest(
                pal=name,
                base_url=str(resolved["base_url"]),
                api_key=str(resolved.get("api_key") or ""),
                model=str(resolved.get("model") or ""),
                headers={str(k): str(v) for k, v in (resolved.get("headers") or {}).items()},
                default_query=dict(resolved.get("default_query") or {}),
                extra_body=dict(resolved.get("extra_body") or {}),
                messages=messages_for(pal.body),
                tools=openai_tools(pal.body, registry),
                secrets=tuple(values.values()),
            )
        )
    if missing:
        raise CommandError(
            "secret values needed to call the custom LLMs are missing",
            details=[
                f"{key} (used by {', '.join(pals)}): pass it with --secrets-file FILE or "
                f"--secret-env {key}=ENV_VAR"
                for key, pals in sorted(missing.items())
            ],
        )
    return requests


def check_one(request: LlmRequest, timeout_s: float = DEFAULT_TIMEOUT_S) -> LlmCheck:
    """Send the request and judge the answer. Never raises for what the endpoint does."""
    import openai
    from openai.types.chat import ChatCompletionChunk

    result = LlmCheck(request.pal, request.base_url, request.model, tools_sent=len(request.tools))
    client = openai.OpenAI(
        base_url=request.base_url,
        api_key=request.api_key or "no-key",
        default_headers=request.headers or None,
        default_query=request.default_query or None,
        max_retries=0,
        timeout=timeout_s,
    )
    extra: dict[str, Any] = {"extra_body": request.extra_body} if request.extra_body else {}
    if request.tools:
        extra["tools"] = request.tools
    started = time.perf_counter()
    try:
        with client.chat.completions.with_streaming_response.create(
            model=request.model,
            messages=request.messages,  # type: ignore[arg-type]
            stream=True,
            **extra,
        ) as response:
            result.status = response.status_code
            result.content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in result.content_type:
                result.total_ms = (time.perf_counter() - started) * 1000
                _diagnose_not_a_stream(result, response.text())
                return result
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    result.done = True
                    break
                try:
                    chunk = ChatCompletionChunk.model_validate(json.loads(data))
                except ValueError as exc:
                    result.fail(
                        f"chunk {result.chunks + 1} is not an OpenAI chat.completion.chunk "
                        f"({str(exc).splitlines()[0]})",
                        "stream OpenAI chat.completion.chunk objects (id, object, created, "
                        "model, choices[].delta)",
                    )
                    return result
                result.chunks += 1
                for choice in chunk.choices:
                    text = choice.delta.content or ""
                    if (text or choice.delta.tool_calls) and result.ttft_ms is None:
                        result.ttft_ms = (time.perf_counter() - started) * 1000
                    result.reply += text
            result.total_ms = (time.perf_counter() - started) * 1000
    except openai.APIStatusError as exc:
        result.status = exc.status_code
        result.total_ms = (time.perf_counter() - started) * 1000
        _diagnose_status(result, request, exc.status_code, _error_text(exc))
        return result
    except openai.APITimeoutError:
        result.fail(
            f"no answer within {timeout_s:g} s",
            "check that the endpoint is reachable and streams without buffering",
        )
        return result
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        result.fail(
            f"cannot connect to {request.base_url} ({cause.__class__.__name__})",
            "check base_url (host, port, https) and that the server is running",
        )
        return result
    if request.tools:
        result.tools_accepted = True
    if not result.done:
        result.fail(
            "the stream ended without `data: [DONE]`",
            "end the event stream with `data: [DONE]`, as the OpenAI API does",
        )
    elif result.chunks == 0 or result.ttft_ms is None:
        result.fail("the stream carried no token", "answer the probe with at least one token")
    return result


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)
    return str(getattr(exc, "message", "") or exc)


def _diagnose_not_a_stream(result: LlmCheck, text: str) -> None:
    if "json" in (result.content_type or ""):
        result.fail(
            f"answered {result.content_type} instead of text/event-stream: the endpoint "
            "ignored `stream: true`",
            "serve streaming (SSE) chat completions; Tavus only reads event streams",
        )
    else:
        result.fail(
            f"answered {result.content_type or 'no content type'} instead of text/event-stream",
            "serve `POST {base_url}/chat/completions` with an OpenAI-compatible event stream",
        )


def _diagnose_status(result: LlmCheck, request: LlmRequest, status: int, message: str) -> None:
    said = message.lower()
    path = urlsplit(request.base_url).path.rstrip("/")
    if request.tools and "tool" in said:
        result.tools_accepted = False
    doubled = next((part for part in (ROUTE, "/chat") if path.endswith(part)), None)
    if status in (404, 405) and doubled is not None:
        fixed = request.base_url.rstrip("/")[: -len(doubled)]
        result.fail(
            f"{status}: the route was appended twice ({path}{ROUTE})",
            f"Tavus appends {ROUTE} itself: set base_url to {fixed}",
        )
    elif status == 401 or status == 403:
        result.fail(
            f"{status}: the endpoint refused the key ({message})",
            "check the secret api_key refers to (Tavus sends it as `Authorization: Bearer`); "
            "an endpoint that wants another header takes it from `headers`",
        )
    elif request.model and request.model.lower() in said and status in (400, 404):
        result.fail(
            f"{status}: the deployment does not serve model {request.model!r} ({message})",
            "set layers.llm.model to a model this endpoint serves",
        )
    elif any(str(key).lower() in said for key in request.default_query) and status == 400:
        keys = ", ".join(str(key) for key in request.default_query)
        result.fail(
            f"400: a query parameter was rejected ({message})",
            f"fix default_query ({keys}) to what the deployment expects",
        )
    elif "system" in said and status in (400, 422):
        result.fail(
            f"{status}: the chat template refused the second system message ({message})",
            "accept several system messages (perception with raven-1 sends one), or set "
            "layers.perception.perception_model: off",
        )
    elif result.tools_accepted is False:
        result.fail(
            f"{status}: the endpoint refused the tools ({message})",
            "serve a model with tool calling, or detach the PAL's LLM tools",
        )
    elif status == 404:
        result.fail(
            f"404: no {ROUTE} under {request.base_url} ({message})",
            f"base_url must be the prefix that {ROUTE} follows (often ends in /v1)",
        )
    else:
        result.fail(f"{status}: {message}", "see the endpoint's own logs")


def judge(results: list[LlmCheck], max_ttft_ms: float | None) -> None:
    for result in results:
        if (
            result.verdict == "ready"
            and max_ttft_ms is not None
            and result.ttft_ms is not None
            and result.ttft_ms > max_ttft_ms
        ):
            result.verdict = "slow"
            result.problem = f"time to first token {result.ttft_ms:.0f} ms is above --max-ttft {max_ttft_ms:g} ms"
            result.fix = "a video agent needs a fast first token: a smaller or closer model"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def render(results: list[LlmCheck], fmt: str, stack: str, secrets: list[str]) -> str:
    if fmt == "json":
        body = {
            "stack": stack,
            "ready": all(r.verdict == "ready" for r in results),
            "pals": [r.to_json() for r in results],
        }
        text = json.dumps(body, indent=2) + "\n"
    elif fmt == "markdown":
        lines = [
            f"### palfleet llm check: `{stack}`",
            "",
            "| PAL | model | verdict | status | first token | complete | tools | problem |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            tools = (
                "-" if r.tools_accepted is None else "accepted" if r.tools_accepted else "refused"
            )
            problem = (f"{r.problem} (fix: {r.fix})" if r.problem else "").replace("|", "\\|")
            lines.append(
                f"| `{r.pal}` | `{r.model}` | {r.verdict} | {r.status or '-'} | {_ms(r.ttft_ms)} "
                f"| {_ms(r.total_ms)} | {tools} | {problem} |"
            )
        if not results:
            lines.append("| - | - | no PAL on a custom LLM | | | | | |")
        text = "\n".join(lines) + "\n"
    else:
        lines = []
        for r in results:
            head = f"{r.pal}: {r.verdict.upper()} ({r.model} at {r.base_url})"
            lines.append(head)
            if r.status is not None:
                stream = (
                    "event stream" if "event-stream" in (r.content_type or "") else r.content_type
                )
                lines.append(
                    f"  HTTP {r.status}, {stream}, {r.chunks} chunk(s), "
                    f"[DONE] {'yes' if r.done else 'no'}, first token {_ms(r.ttft_ms)}, "
                    f"complete {_ms(r.total_ms)}"
                )
            if r.tools_sent:
                state = (
                    "?"
                    if r.tools_accepted is None
                    else "accepted"
                    if r.tools_accepted
                    else "refused"
                )
                lines.append(f"  tools: {r.tools_sent} sent, {state}")
            if r.problem:
                lines.append(f"  problem: {r.problem}")
                lines.append(f"  fix: {r.fix}")
        if not results:
            lines.append(f"No PAL of stack {stack!r} is on a custom LLM (layers.llm.base_url).")
        ready = sum(r.verdict == "ready" for r in results)
        lines.append(f"{ready} of {len(results)} custom LLM(s) ready.")
        text = "\n".join(lines) + "\n"
    return scrub(text, secrets)


@dataclass(frozen=True)
class LlmCheckOutput:
    stdout: str
    stderr: str
    exit_code: int


def run_llm_check(
    stack: str,
    root: Path,
    pals: list[str],
    *,
    secrets_file: Path | None = None,
    secret_env: list[str] | None = None,
    fmt: str = "text",
    max_ttft_ms: float | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> LlmCheckOutput:
    if fmt not in ("text", "markdown", "json"):
        return LlmCheckOutput("", "palfleet: --format must be text, markdown or json\n", 1)
    try:
        requests = build_requests(stack, root, pals, secret_lookup(secrets_file, secret_env or []))
    except CommandError as exc:
        return LlmCheckOutput("", exc.render(), 1)
    results = [check_one(request, timeout_s) for request in requests]
    judge(results, max_ttft_ms)
    secrets = [value for request in requests for value in request.secrets]
    code = 0 if all(r.verdict == "ready" for r in results) else 1
    return LlmCheckOutput(render(results, fmt, stack, secrets), "", code)


__all__ = ["LlmCheck", "LlmRequest", "build_requests", "check_one", "run_llm_check"]
