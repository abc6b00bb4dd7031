"""Semantic rules for one PAL (after `defaults` are merged in).

The same rules check a declared PAL (with the stack's bindings and registry tools known) and a
resolved API-shaped body (`validate_pal_body`, no bindings: declaration-only keys are errors).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import catalog
from .findings import Report, check_credential_headers, check_credential_query
from .llm_binding import LEGACY_FIX, LlmBinding, llm_binding
from .models import Bindings, LlmLayer, PalIntent, ToolSpec
from .record_rules import check_references
from .tool_rules import MAX_TOOLS_PER_PAL, SYSTEM_TOOLS, check_inline_tool
from .urls import custom_llm_base_url_problems

PROMPT_CHARS_PER_TOKEN = 4
PROMPT_TOKENS_ADVISED = 5_000
PROMPT_TOKENS_DEGRADED = 15_000
HOSTED_EXTRA_BODY = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# What the API's face ids look like (pal-api.md section 1): `r` and 11 hex digits.
FACE_ID_RE = re.compile(r"^r[0-9a-f]{11}$")
INLINE_TOOL_FIELDS = (
    ("llm", "tools"),
    ("perception", "visual_tools"),
    ("perception", "audio_tools"),
    ("perception", "perception_tools"),
)


@dataclass(frozen=True)
class PalContext:
    """What the PAL may refer to. `bindings is None` means an API-shaped body is checked."""

    bindings: Bindings | None = None
    tools: dict[str, ToolSpec] | None = None
    guardrails: Sequence[str] | None = None
    objectives: Sequence[str] | None = None


def did_you_mean(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'? " if match else ""


def check_pal(report: Report, pal: PalIntent, ctx: PalContext) -> None:
    _check_face(report, pal, ctx)
    _check_pipeline(report, pal)
    llm = pal.layers.llm if pal.layers and pal.layers.llm else None
    bound = ctx.bindings.llm_endpoints if ctx.bindings is not None else None
    binding = llm_binding(pal, bound)
    _check_llm_binding(report, pal, binding, ctx)
    _check_llm(report, llm, binding, ctx)
    _check_prompt_budget(report, pal, llm, binding)
    _check_tools(report, pal, ctx)
    _check_perception(report, pal)
    _check_conferencing(report, pal)
    _check_options(report, pal, ctx)
    check_references(report, pal, ctx.bindings, ctx.guardrails, ctx.objectives)


def has_face(pal: PalIntent) -> bool:
    return bool(pal.face or pal.default_face_id)


def _check_face(report: Report, pal: PalIntent, ctx: PalContext) -> None:
    if pal.face is not None and pal.default_face_id is not None:
        report.error(["face"], "both face and default_face_id are set", "keep one of them")
    if pal.face is not None:
        if ctx.bindings is None:
            report.error(
                ["face"],
                "face is a declaration key, not part of a PAL body",
                "send default_face_id",
            )
        elif pal.face not in ctx.bindings.faces:
            known = sorted(ctx.bindings.faces)
            if FACE_ID_RE.match(pal.face):
                report.error(
                    ["face"],
                    f"{pal.face!r} is a face id, but face takes a logical face name",
                    f"bind it: bindings.faces.<name>: {pal.face}, and write face: <name> "
                    f"(bound here: {', '.join(known) or 'none'})",
                )
            else:
                report.error(
                    ["face"],
                    f"face {pal.face!r} is not bound in bindings.faces",
                    f"{did_you_mean(pal.face, known)}add bindings.faces.{pal.face}: <face id> "
                    f"(bound here: {', '.join(known) or 'none'})",
                )
    conferencing = pal.layers.conferencing if pal.layers is not None else None
    if not has_face(pal):
        # Revision 2: a PAL may have no face; conferencing (and a conversation) needs one.
        if conferencing is not None and conferencing.model_dump(exclude_none=True):
            report.error(
                ["layers", "conferencing"],
                "conferencing needs a face",
                "set face: <logical name from bindings.faces> or default_face_id: <face id>, "
                "or remove layers.conferencing",
            )
    elif pal.default_face_id is not None and not ID_RE.match(pal.default_face_id):
        report.error(
            ["default_face_id"], "default_face_id is not a face id", "use an id like r0123456789a"
        )
    _warn_per_account_ids(report, pal, ctx)


# Ids that exist in one Tavus account only: written into intent, promotion copies them into
# accounts where they mean nothing (or something else).
_PER_ACCOUNT_IDS = {
    "default_face_id": "bind the face in bindings.faces and write face: <name>",
    "objectives_id": "keep the id out of stacks you promote, or set it per environment",
    "guardrails_id": "use guardrail_tags, which name guardrails instead of ids",
    "guardrail_ids": "use guardrail_tags, which name guardrails instead of ids",
    "document_ids": "use document_tags, which name documents instead of ids",
}


def _warn_per_account_ids(report: Report, pal: PalIntent, ctx: PalContext) -> None:
    if ctx.bindings is None:
        return  # an API-shaped body (the provider's check): ids are expected there
    for key, fix in _PER_ACCOUNT_IDS.items():
        if getattr(pal, key) is not None:
            report.warning(
                [key],
                f"{key} is an id of one Tavus account: promoting this stack copies it into "
                "accounts where it does not exist",
                fix,
            )


def _check_pipeline(report: Report, pal: PalIntent) -> None:
    mode = pal.pipeline_mode or "full"
    if mode == "full":
        if not (pal.system_prompt or "").strip():
            report.error(
                ["system_prompt"],
                "system_prompt is required (and non-empty) when pipeline_mode is full",
                "write the PAL's instructions in system_prompt",
            )
        return
    for key in ("system_prompt", "context"):
        if getattr(pal, key) is not None:
            report.error(
                [key],
                f"{key} is not allowed when pipeline_mode is {mode}",
                f"remove {key}; if it comes from defaults, write `{key}: null` on this PAL; or "
                "use pipeline_mode: full",
            )


def _check_llm_binding(
    report: Report, pal: PalIntent, binding: LlmBinding | None, ctx: PalContext
) -> None:
    """``palfleet.llm_endpoint`` names a binding; the old spelling works, with a warning."""
    options = pal.palfleet
    named = options.llm_endpoint if options is not None else None
    if named is not None and ctx.bindings is not None:
        known = sorted(ctx.bindings.llm_endpoints)
        if named not in ctx.bindings.llm_endpoints:
            report.error(
                ["palfleet", "llm_endpoint"],
                f"llm_endpoint {named!r} is not bound in bindings.llm_endpoints",
                f"{did_you_mean(named, known)}add bindings.llm_endpoints.{named} with base_url "
                "and api_key",
            )
    if binding is not None and binding.legacy:
        report.warning(
            ["layers", "llm", "endpoint"],
            f"endpoint: {binding.name} names a binding the old way",
            LEGACY_FIX.replace("NAME", binding.name),
        )
    llm = pal.layers.llm if pal.layers is not None else None
    if binding is None and llm is not None and llm.endpoint and ctx.bindings is not None:
        hint = did_you_mean(llm.endpoint, sorted(ctx.bindings.llm_endpoints))
        if hint:
            report.warning(
                ["layers", "llm", "endpoint"],
                f"endpoint {llm.endpoint!r} is sent to the API as written (it names no binding; "
                f"{hint.strip()})",
                "to use a binding of bindings.llm_endpoints, write "
                "palfleet: {llm_endpoint: <name>}",
            )


def _check_llm(
    report: Report, llm: LlmLayer | None, binding: LlmBinding | None, ctx: PalContext
) -> None:
    if llm is None:
        return
    path = ["layers", "llm"]
    custom = binding is not None or llm.base_url is not None
    check_credential_headers(
        report, llm.headers, [*path, "headers"], "remove it; the key goes in api_key: {secret: ...}"
    )
    check_credential_query(
        report,
        llm.default_query,
        [*path, "default_query"],
        "remove it; the key goes in api_key: {secret: ...}",
    )
    if binding is not None:
        for key in ("base_url", "api_key"):
            if getattr(llm, key) is not None:
                report.error(
                    [*path, key],
                    f"{key} is set together with the llm_endpoint binding {binding.name!r}",
                    f"remove {key}: the binding provides it",
                )
    elif llm.base_url is not None:
        for problem in custom_llm_base_url_problems(llm.base_url):
            report.error([*path, "base_url"], problem.message, problem.fix)
        if llm.api_key is None:
            report.error(
                [*path, "api_key"],
                "a custom LLM (base_url set) needs an api_key secret reference",
                "run `pulumi config set --secret <key> <value>` and write api_key: {secret: <key>}",
            )
        if ctx.bindings is not None:
            report.warning(
                [*path, "base_url"],
                "base_url is written in the PAL, so promotion copies it to the next environment",
                "declare it in bindings.llm_endpoints.<name> and write "
                "palfleet: {llm_endpoint: <name>}",
            )
    else:
        for key in ("api_key", "headers", "default_query"):
            if getattr(llm, key) is not None:
                report.error(
                    [*path, key],
                    f"{key} only applies to a custom LLM (base_url)",
                    f"remove {key}, or set base_url / palfleet.llm_endpoint",
                )
    if custom:
        if not llm.model:
            report.error(
                [*path, "model"],
                "a custom LLM needs model (the model name the endpoint serves)",
                "set model, e.g. gpt-4o",
            )
        elif catalog.lookup(llm.model) is not None:
            report.warning(
                [*path, "model"],
                f"{llm.model!r} is a Tavus-hosted model id, sent here to a custom endpoint, "
                "which will not know it (inherited from defaults?)",
                "set model to the name the endpoint serves (e.g. gpt-4o), or remove base_url / "
                "llm_endpoint to use the hosted model",
            )
    elif llm.model is not None:
        _check_hosted_model(report, llm.model)
    _check_extra_body(report, llm.extra_body, custom)


_UPGRADE_HINT = " (`palfleet models upgrade --write` does it for every PAL)"


def _check_hosted_model(report: Report, model: str) -> None:
    path = ["layers", "llm", "model"]
    info = catalog.lookup(model)
    if info is None:
        guess = catalog.suggest(model)
        hint = f"did you mean '{guess}'? " if guess else ""
        report.error(
            path,
            f"unknown Tavus-hosted model {model!r}",
            f"{hint}use a catalog model such as {catalog.default_model().id}, or set base_url / "
            "palfleet.llm_endpoint for a custom LLM",
        )
    elif info.status == "retired":
        report.error(
            path,
            f"model {model!r} is retired{catalog.status_origin(info)} (the API rejects it)",
            f"use {info.replacement}" + _UPGRADE_HINT,
        )
    elif info.status == "deprecated":
        report.warning(
            path,
            f"model {model!r} is deprecated{catalog.status_origin(info)}",
            f"move to {info.replacement}" + _UPGRADE_HINT,
        )


def _check_extra_body(report: Report, extra: dict[str, Any] | None, custom: bool) -> None:
    if not extra:
        return
    path = ["layers", "llm", "extra_body"]
    for key, value in extra.items():
        if key not in HOSTED_EXTRA_BODY:
            if not custom:
                report.error(
                    [*path, key],
                    f"extra_body.{key} is not accepted for Tavus-hosted models",
                    "hosted models take only temperature and top_p; remove it",
                )
            continue
        low, high = HOSTED_EXTRA_BODY[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            report.error(
                [*path, key], f"{key} must be a number", f"write a number from {low:g} to {high:g}"
            )
        elif not low <= value <= high:
            report.error(
                [*path, key],
                f"{key} {value} is outside {low:g}..{high:g}",
                f"write a number from {low:g} to {high:g}",
            )


def _check_prompt_budget(
    report: Report, pal: PalIntent, llm: LlmLayer | None, binding: LlmBinding | None
) -> None:
    chars = len(pal.system_prompt or "") + len(pal.context or "")
    tokens = chars // PROMPT_CHARS_PER_TOKEN
    custom = binding is not None or (llm is not None and llm.base_url is not None)
    ceiling = None
    if not custom:
        info = (
            catalog.lookup(llm.model) if llm is not None and llm.model else catalog.default_model()
        )
        ceiling = info.prompt_token_ceiling if info is not None else None
    path = ["system_prompt"]
    size = f"system_prompt + context is about {tokens:,} tokens ({chars:,} characters)"
    if ceiling is not None and tokens > ceiling:
        report.error(
            path,
            f"{size}, above the model's {ceiling:,} token ceiling",
            "shorten the prompt or move material to the knowledge base (document_ids)",
        )
    elif tokens >= PROMPT_TOKENS_DEGRADED:
        report.warning(
            path,
            f"{size}: speed and instruction-following degrade from about 15,000 tokens",
            "shorten it well below 15,000 tokens; move reference material to documents",
        )
    elif tokens > PROMPT_TOKENS_ADVISED:
        report.warning(
            path, f"{size}, above the advised 5,000", "keep it under about 20,000 characters"
        )


def _check_tools(report: Report, pal: PalIntent, ctx: PalContext) -> None:
    options = pal.palfleet
    migrating = bool(options and options.migrate_inline_tools)
    inline_names: dict[str, list[str | int]] = {}
    inline_count = 0
    for layer_name, field in INLINE_TOOL_FIELDS:
        layer = getattr(pal.layers, layer_name, None) if pal.layers else None
        tools = getattr(layer, field, None) if layer is not None else None
        if not tools:
            continue
        path: list[str | int] = ["layers", layer_name, field]
        inline_count += len(tools)
        if not migrating:
            report.warning(
                path,
                f"{len(tools)} legacy inline tool(s) in {layer_name}.{field} (deprecated)",
                "set palfleet.migrate_inline_tools: true to move them to the tools registry",
            )
        for index, tool in enumerate(tools):
            check_inline_tool(report, tool, [*path, index])
            name = tool.function.name
            if name in inline_names:
                report.error(
                    [*path, index, "function", "name"],
                    f"inline tool {name!r} is declared twice",
                    "remove one of them",
                )
            inline_names.setdefault(name, [*path, index])
    attached = list(options.tools or []) if options else []
    seen: set[str] = set()
    for index, name in enumerate(attached):
        path = ["palfleet", "tools", index]
        if name in seen:
            report.error(path, f"tool {name!r} is attached twice", "list it once")
        seen.add(name)
        if name in SYSTEM_TOOLS:
            report.error(
                path, f"{name!r} is a system tool, always available", "remove it from the list"
            )
        elif ctx.tools is not None and name not in ctx.tools:
            known = sorted(ctx.tools)
            report.error(
                path,
                f"tool {name!r} is not declared under the stack's tools:",
                f"{did_you_mean(name, known)}declare it under tools: (declared: {', '.join(known) or 'none'})",
            )
        if name in inline_names and not migrating:
            report.error(
                path,
                f"tool {name!r} is both inline and attached",
                "remove the inline copy, or set palfleet.migrate_inline_tools: true",
            )
    # While migrating, an inline tool that is also attached by name becomes that one tool.
    overlap = len(seen & set(inline_names)) if migrating else 0
    total = inline_count + len(seen) + len(set(pal.tool_ids or [])) - overlap
    if total > MAX_TOOLS_PER_PAL:
        where = ["palfleet", "tools"] if attached else ["layers", "llm", "tools"]
        report.error(
            where,
            f"{total} tools on one PAL (inline + attached), above the limit of {MAX_TOOLS_PER_PAL}",
            "split the PAL or drop tools",
        )


def _check_perception(report: Report, pal: PalIntent) -> None:
    perception = pal.layers.perception if pal.layers else None
    if perception is None:
        return
    path = ["layers", "perception", "perception_model"]
    if perception.perception_model == "raven-0":
        report.warning(path, "perception_model raven-0 is legacy", "use raven-1")
    queries = (
        perception.visual_awareness_queries,
        perception.audio_awareness_queries,
        perception.perception_analysis_queries,
    )
    if perception.perception_model == "off" and any(queries):
        report.warning(
            path,
            "awareness/analysis queries are ignored while perception_model is off",
            "use raven-1 or remove the queries",
        )


def _check_conferencing(report: Report, pal: PalIntent) -> None:
    conferencing = pal.layers.conferencing if pal.layers else None
    if conferencing is None:
        return
    path = ["layers", "conferencing"]
    username = conferencing.username
    if username is not None and not USERNAME_RE.match(username):
        report.error(
            [*path, "username"],
            f"conferencing username {username!r} is not allowed",
            "use at least 2 characters, letters or digits at both ends, only . _ - inside",
        )
    if not has_face(pal):
        report.error(
            [*path], "conferencing requires a face", "set face or default_face_id on this PAL"
        )


def _check_options(report: Report, pal: PalIntent, ctx: PalContext) -> None:
    if pal.palfleet is None:
        return
    if ctx.bindings is None:
        report.error(
            ["palfleet"],
            "palfleet options are not part of a PAL body",
            "remove them before sending",
        )
        return
    adopt = pal.palfleet.adopt_id
    if adopt is not None and not ID_RE.match(adopt):
        report.error(
            ["palfleet", "adopt_id"],
            "adopt_id is not a pal_id",
            "use the existing PAL's id, e.g. p0123456789a",
        )
