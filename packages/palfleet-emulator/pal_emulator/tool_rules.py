"""Field rules of registry tools (contract §4): validation, defaults, secret masking, merge PATCH."""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidDocument

MASK = "********"
NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
SERVER_OWNED = ("tool_id", "owner_id", "is_system_tool", "created_at", "updated_at")
FIELDS = (
    "name",
    "description",
    "parameters",
    "origin",
    "trigger_type",
    "on_call",
    "static_filler",
    "on_resolve",
    "delivery",
    "tags",
)
ORIGINS = ("llm", "vision", "audio")
TRIGGERS = ("in_call", "post_call")
ON_CALL = ("generate_filler", "static_filler", "silent", "passthrough")
ON_RESOLVE = ("generate_response", "response_in_result", "add_to_context", "fire_and_forget")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
API_FIELDS = (
    "url",
    "method",
    "timeout",
    "headers",
    "query_params",
    "body_template",
    "content_type",
    "auth",
)
AUTH_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required fields, optional fields)
    "none": ((), ()),
    "bearer": (("token",), ()),
    "basic": (("username", "password"), ()),
    "api_key": (("name", "value", "location"), ()),
    "hmac": (("secret",), ()),
    "oauth2_client_credentials": (("token_url", "client_id", "client_secret"), ("scope",)),
}
AUTH_SECRETS = frozenset({"token", "password", "value", "secret", "client_secret"})
MAX_DESCRIPTION_AND_PARAMETERS = 10_000
SYSTEM_TOOLS: dict[str, dict[str, Any]] = {
    "end_call": {
        "tool_id": "end_call",
        "name": "end_call",
        "description": "End the conversation when the user says goodbye or asks to stop.",
        "parameters": {},
        "origin": "llm",
        "trigger_type": "in_call",
        "on_resolve": "fire_and_forget",
        "delivery": {"app_message": True},
        "tags": [],
        "is_system_tool": True,
        "owner_id": None,
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-01T00:00:00.000000Z",
    }
}


def _enum(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidDocument(f"{field} must be one of {', '.join(allowed)} (got {value!r})")


def _public_host(host: str) -> bool:
    lowered = host.lower().rstrip(".")
    if lowered in ("localhost",) or lowered.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(lowered.strip("[]"))
    except ValueError:
        return True
    return address.is_global


def _check_https_url(field: str, url: Any, *, placeholders: bool) -> None:
    if not isinstance(url, str) or not url:
        raise InvalidDocument(f"{field} must be a non-empty https URL")
    candidate = re.sub(r"\{[A-Za-z_][A-Za-z0-9_]*\}", "x", url) if placeholders else url
    try:
        parts = urlsplit(candidate)
        host = parts.hostname
    except ValueError:
        raise InvalidDocument(f"{field} is not a valid URL") from None
    if parts.scheme != "https" or not host:
        raise InvalidDocument(f"{field} must be an https URL with a host")
    if not _public_host(host):
        raise InvalidDocument(f"{field} must not point at a private, loopback or link-local host")


def _check_auth(auth: Any, stored_auth: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(auth, dict):
        raise InvalidDocument("delivery.api.auth must be an object")
    kind = auth.get("type")
    if kind not in AUTH_FIELDS:
        raise InvalidDocument(f"delivery.api.auth.type must be one of {', '.join(AUTH_FIELDS)}")
    required, optional = AUTH_FIELDS[kind]
    out = dict(auth)
    for key, value in auth.items():
        if key != "type" and key not in required and key not in optional:
            raise InvalidDocument(f"delivery.api.auth.{key} is not a field of auth type {kind}")
        if key in AUTH_SECRETS and value == MASK:
            raise InvalidDocument(
                f"delivery.api.auth.{key} is the masked echo '********'; omit the field to keep the stored secret"
            )
    if stored_auth is not None and stored_auth.get("type") == kind:
        for key in AUTH_SECRETS:
            if key in stored_auth and key not in out:
                out[key] = stored_auth[key]
    for key in required:
        if not isinstance(out.get(key), str) or not out[key]:
            raise InvalidDocument(f"delivery.api.auth.{key} is required for auth type {kind}")
    if "scope" in out and not isinstance(out["scope"], str):
        raise InvalidDocument("delivery.api.auth.scope must be a string")
    if kind == "api_key":
        _enum("delivery.api.auth.location", out["location"], ("header", "query"))
    if kind == "oauth2_client_credentials":
        _check_https_url("delivery.api.auth.token_url", out["token_url"], placeholders=False)
    return out


def _check_delivery(delivery: Any, stored: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(delivery, dict):
        raise InvalidDocument("delivery must be an object")
    for key in delivery:
        if key not in ("app_message", "api"):
            raise InvalidDocument(f"delivery.{key} is not a delivery channel (app_message or api)")
    app = delivery.get("app_message")
    if app is not None and not isinstance(app, bool):
        raise InvalidDocument("delivery.app_message must be a boolean")
    api = delivery.get("api")
    channels = int(app is True) + int(api is not None)
    if channels != 1:
        raise InvalidDocument(
            'delivery needs exactly one channel: {"app_message": true} or {"api": {...}}, not both or neither'
        )
    if api is None:
        return {"app_message": True}
    if not isinstance(api, dict):
        raise InvalidDocument("delivery.api must be an object")
    for key in api:
        if key not in API_FIELDS:
            raise InvalidDocument(f"delivery.api.{key} is not a known field")
    out = dict(api)
    _check_https_url("delivery.api.url", api.get("url"), placeholders=True)
    out["method"] = api.get("method", "POST")
    _enum("delivery.api.method", out["method"], METHODS)
    timeout = api.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= 60:
        raise InvalidDocument("delivery.api.timeout must be a number of seconds from 0 to 60")
    out["timeout"] = timeout
    for key in ("headers", "query_params"):
        if key in api and (
            not isinstance(api[key], dict) or not all(isinstance(v, str) for v in api[key].values())
        ):
            raise InvalidDocument(f"delivery.api.{key} must be an object of strings")
    if "body_template" in api and not isinstance(api["body_template"], (str, dict)):
        raise InvalidDocument("delivery.api.body_template must be a string or an object")
    if "content_type" in api and not isinstance(api["content_type"], str):
        raise InvalidDocument("delivery.api.content_type must be a string")
    if "auth" in api:
        stored_api = (stored or {}).get("api") or {}
        out["auth"] = _check_auth(api["auth"], stored_api.get("auth"))
    return {"api": out}


def normalize_tool(body: Any, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate the user-owned fields of a tool and fill its defaults.

    ``stored`` is the current tool on PATCH: auth secrets omitted from a new auth of the
    same type are carried over from it.
    """
    if not isinstance(body, dict):
        raise InvalidDocument("the tool must be a JSON object")
    doc = {k: v for k, v in copy.deepcopy(body).items() if v is not None}
    for key in doc:
        if key in SERVER_OWNED:
            raise InvalidDocument(f"{key} is set by the server and cannot be written")
        if key not in FIELDS:
            raise InvalidDocument(f"{key} is not a known tool field; remove it")
    name = doc.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidDocument("name is required and must match ^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
    description = doc.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InvalidDocument("description is required and must be non-empty")
    parameters = doc.setdefault("parameters", {})
    if not isinstance(parameters, dict):
        raise InvalidDocument("parameters must be a JSON Schema object")
    properties = parameters.get("properties", {})
    if not isinstance(properties, dict):
        raise InvalidDocument("parameters.properties must be an object")
    for prop in properties:
        if prop.startswith("tavus_"):
            raise InvalidDocument(
                f"parameters.properties.{prop}: names starting with tavus_ are reserved"
            )
    if len(description) + len(json.dumps(parameters)) > MAX_DESCRIPTION_AND_PARAMETERS:
        raise InvalidDocument(
            "description and parameters together exceed 10,000 characters; shorten them"
        )
    origin = doc.setdefault("origin", "llm")
    _enum("origin", origin, ORIGINS)
    _enum("trigger_type", doc.setdefault("trigger_type", "in_call"), TRIGGERS)
    if "on_call" in doc:
        _enum("on_call", doc["on_call"], ON_CALL)
        if doc["on_call"] == "passthrough" and origin != "llm":
            raise InvalidDocument("on_call passthrough is only allowed for origin llm")
    filler = doc.get("static_filler")
    if doc.get("on_call") == "static_filler" and (
        not isinstance(filler, str) or not filler.strip()
    ):
        raise InvalidDocument("static_filler text is required when on_call is static_filler")
    _enum("on_resolve", doc.setdefault("on_resolve", "fire_and_forget"), ON_RESOLVE)
    doc["delivery"] = _check_delivery(
        doc.get("delivery", {"app_message": True}), (stored or {}).get("delivery")
    )
    tags = doc.setdefault("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidDocument("tags must be an array of strings")
    return doc


def user_fields(tool: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tool.items() if k in FIELDS}


def mask_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """The tool as the API shows it: auth secrets replaced by ``********``."""
    auth = tool.get("delivery", {}).get("api", {}).get("auth")
    if not isinstance(auth, dict):
        return tool
    masked_auth = {k: (MASK if k in AUTH_SECRETS else v) for k, v in auth.items()}
    api = {**tool["delivery"]["api"], "auth": masked_auth}
    return {**tool, "delivery": {**tool["delivery"], "api": api}}
