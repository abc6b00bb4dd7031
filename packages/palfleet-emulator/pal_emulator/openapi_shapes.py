"""Request-body schemas shown in the OpenAPI description (bodies are parsed by hand so
the contract's own error bodies answer bad input, not FastAPI's validation errors)."""

from __future__ import annotations

from typing import Any

from .pal_rules import LAYER_FIELDS

_STRINGS = {"type": "array", "items": {"type": "string"}}

PAL_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pal_name": {"type": "string"},
        "system_prompt": {"type": "string"},
        "pipeline_mode": {"type": "string", "enum": ["full", "echo", "speech-to-speech"]},
        "default_face_id": {"type": "string"},
        "context": {"type": "string"},
        "greeting": {"type": "string"},
        "document_ids": _STRINGS,
        "document_tags": _STRINGS,
        "memories": _STRINGS,
        "tool_ids": _STRINGS,
        "is_template": {"type": "boolean"},
        "layers": {
            "type": "object",
            "properties": {name: {"type": "object"} for name in LAYER_FIELDS},
        },
    },
}

JSON_PATCH_BODY: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
            "value": {},
        },
    },
}

TOOL_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "parameters": {"type": "object"},
        "origin": {"type": "string", "enum": ["llm", "vision", "audio"]},
        "trigger_type": {"type": "string", "enum": ["in_call", "post_call"]},
        "on_call": {"type": "string"},
        "on_resolve": {"type": "string"},
        "delivery": {"type": "object"},
        "tags": _STRINGS,
    },
}

ATTACH_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"tool_ids": _STRINGS},
    "required": ["tool_ids"],
}


def body(schema: dict[str, Any], *content_types: str) -> dict[str, Any]:
    types = content_types or ("application/json",)
    return {
        "requestBody": {
            "required": True,
            "content": {t: {"schema": schema} for t in types},
        }
    }
