"""Rules shared by registry tools and legacy inline tools, and the registry-only rules."""

from __future__ import annotations

import json
import re
from typing import Any

from .findings import Report, check_credential_headers, check_credential_query
from .models import ApiDelivery, InlineTool, ToolSpec
from .urls import https_url_problems, tool_api_url_problems

TOOL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
MAX_TOOL_DEFINITION_CHARS = 10_000
MAX_TOOLS_PER_PAL = 50
RESERVED_PARAMETER_PREFIX = "tavus_"
SYSTEM_TOOLS = frozenset({"end_call"})


def definition_size(description: str | None, parameters: dict[str, Any] | None) -> int:
    return len(description or "") + len(json.dumps(parameters or {}))


def check_definition(
    report: Report,
    name: str,
    description: str | None,
    parameters: dict[str, Any] | None,
    *,
    name_path: list[str | int],
    base: list[str | int],
) -> None:
    """Name pattern, size limit and reserved parameter names."""
    if not TOOL_NAME_RE.match(name):
        report.error(
            name_path,
            f"tool name {name!r} is not allowed",
            "use letters, digits and _ only, starting with a letter or _, at most 64 characters",
        )
    size = definition_size(description, parameters)
    if size > MAX_TOOL_DEFINITION_CHARS:
        report.error(
            [*base, "description"],
            f"description + JSON(parameters) is {size:,} characters, above the "
            f"{MAX_TOOL_DEFINITION_CHARS:,} limit",
            "shorten the description or the parameter schema",
        )
    properties = (parameters or {}).get("properties")
    if isinstance(properties, dict):
        for prop in properties:
            if str(prop).startswith(RESERVED_PARAMETER_PREFIX):
                report.error(
                    [*base, "parameters", "properties", str(prop)],
                    f"parameter name {prop!r} uses the reserved prefix 'tavus_'",
                    "rename the parameter",
                )
    required = (parameters or {}).get("required")
    if isinstance(required, list):
        declared = set(properties) if isinstance(properties, dict) else set()
        for index, entry in enumerate(required):
            if entry not in declared:
                report.error(
                    [*base, "parameters", "required", index],
                    f"required parameter {entry!r} is not among the declared properties",
                    f"declare it under parameters.properties, or remove it from required "
                    f"(declared: {', '.join(sorted(map(str, declared))) or 'none'})",
                )


def check_inline_tool(report: Report, tool: InlineTool, path: list[str | int]) -> None:
    fn = tool.function
    check_definition(
        report,
        fn.name,
        fn.description,
        fn.parameters,
        name_path=[*path, "function", "name"],
        base=[*path, "function"],
    )


def check_registry_tool(report: Report, key: str, tool: ToolSpec) -> None:
    """`report` is based at `tools.<key>`."""
    if tool.name is not None and tool.name != key:
        report.error(
            ["name"],
            f"name {tool.name!r} differs from its key {key!r}",
            "drop name or make it equal to the key",
        )
    if key in SYSTEM_TOOLS:
        report.error(
            [],
            f"{key!r} is a system tool and cannot be declared",
            "remove it; end_call is always available",
        )
    check_definition(report, key, tool.description, tool.parameters, name_path=[], base=[])
    if not tool.description.strip():
        report.error(
            ["description"], "description is empty", "describe when the LLM should call the tool"
        )
    origin = tool.origin or "llm"
    if tool.on_call is not None and origin != "llm":
        report.error(
            ["on_call"],
            f"on_call is only allowed for origin llm (this tool has origin {origin})",
            "remove on_call or set origin: llm",
        )
    if tool.on_call == "static_filler" and not (tool.static_filler or "").strip():
        report.error(
            ["static_filler"],
            "on_call static_filler needs the filler text",
            'add static_filler: "One moment while I check that."',
        )
    if tool.static_filler is not None and tool.on_call != "static_filler":
        report.warning(
            ["static_filler"],
            "static_filler is ignored unless on_call is static_filler",
            "set on_call: static_filler or remove static_filler",
        )
    _check_delivery(report, tool)


PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _strings(value: Any, path: list[str | int]) -> list[tuple[list[str | int], str]]:
    """Every string (keys included) inside a template value, with where it is."""
    if isinstance(value, str):
        return [(path, value)]
    found: list[tuple[list[str | int], str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((path, str(key)))
            found.extend(_strings(item, [*path, str(key)]))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_strings(item, [*path, index]))
    return found


def _check_placeholders(report: Report, tool: ToolSpec, api: ApiDelivery) -> None:
    """`{name}` in url, body_template and query_params must be a declared parameter."""
    properties = (tool.parameters or {}).get("properties")
    declared = set(properties) if isinstance(properties, dict) else set()
    base: list[str | int] = ["delivery", "api"]
    places = [
        *_strings(api.url, [*base, "url"]),
        *_strings(api.body_template, [*base, "body_template"]),
        *_strings(api.query_params, [*base, "query_params"]),
    ]
    reported: set[tuple[str, str]] = set()
    for path, text in places:
        for name in PLACEHOLDER_RE.findall(text):
            key = (str(path), name)
            if name in declared or key in reported:
                continue
            reported.add(key)
            report.error(
                path,
                f"placeholder {{{name}}} is not a declared parameter of this tool",
                f"add {name!r} under parameters.properties, or fix the placeholder's spelling"
                + (f" (declared: {', '.join(sorted(declared))})" if declared else ""),
            )


def _check_delivery(report: Report, tool: ToolSpec) -> None:
    delivery = tool.delivery
    if delivery is None:
        return
    app = bool(delivery.app_message)
    if app and delivery.api is not None:
        report.error(
            ["delivery"], "delivery declares both app_message and api", "keep exactly one channel"
        )
        return
    if not app and delivery.api is None:
        report.error(
            ["delivery"],
            "delivery declares no channel",
            "set app_message: true or an api: {url: ...} block",
        )
        return
    api = delivery.api
    if api is None:
        return
    check_credential_headers(
        report,
        api.headers,
        ["delivery", "api", "headers"],
        "remove it; declare delivery.api.auth with a {secret: ...} reference",
    )
    check_credential_query(
        report,
        api.query_params,
        ["delivery", "api", "query_params"],
        "remove it; declare delivery.api.auth (type api_key, location query) with a "
        "{secret: ...} reference",
    )
    for problem in tool_api_url_problems(api.url):
        report.error(["delivery", "api", "url"], problem.message, problem.fix)
    _check_placeholders(report, tool, api)
    if api.timeout is not None and not 0 <= api.timeout <= 60:
        report.error(
            ["delivery", "api", "timeout"],
            f"timeout {api.timeout} is outside 0-60 seconds",
            "use a value between 0 and 60",
        )
    auth = api.auth
    if auth is not None and auth.type == "oauth2_client_credentials":
        for problem in https_url_problems(auth.token_url, "token_url"):
            report.error(["delivery", "api", "auth", "token_url"], problem.message, problem.fix)
