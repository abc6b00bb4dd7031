"""Field rules of flat guardrails (contract §8): one rule each, JSON Patch over the top level."""

from __future__ import annotations

from typing import Any

from .errors import InvalidDocument

SERVER_OWNED = ("guardrail_id", "owner_id", "created_at", "updated_at")
MODALITIES = ("verbal", "visual", "audio")
MAX_NAME = 100
MAX_TAGS = 32
DEFAULTS: dict[str, Any] = {
    "modality": "verbal",
    "callback_url": "",
    "app_message": True,
    "tags": [],
}
FIELDS = (
    "guardrail_name",
    "guardrail_prompt",
    "modality",
    "callback_url",
    "tool_call",
    "app_message",
    "tags",
)


def normalize_guardrail(body: Any) -> dict[str, Any]:
    """The user-owned part of a guardrail with defaults filled; ``InvalidDocument`` names the
    field. Server-owned fields in ``body`` are ignored (a PATCH result carries them)."""
    if not isinstance(body, dict):
        raise InvalidDocument("the request body must be a JSON object describing the guardrail")
    doc = {k: v for k, v in body.items() if k not in SERVER_OWNED and v is not None}
    for key in doc:
        if key not in FIELDS:
            raise InvalidDocument(f"{key} is not a known guardrail field; remove it")
    name = doc.get("guardrail_name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidDocument("guardrail_name is required and must be a non-empty string")
    if len(name) > MAX_NAME:
        raise InvalidDocument(f"guardrail_name must be at most {MAX_NAME} characters")
    prompt = doc.get("guardrail_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidDocument("guardrail_prompt is required and must be a non-empty string")
    doc = {**DEFAULTS, **doc}
    if doc["modality"] not in MODALITIES:
        raise InvalidDocument(f"modality must be one of {', '.join(MODALITIES)}")
    if not isinstance(doc["callback_url"], str):
        raise InvalidDocument("callback_url must be a string")
    if not isinstance(doc["app_message"], bool):
        raise InvalidDocument("app_message must be true or false")
    if "tool_call" in doc and not isinstance(doc["tool_call"], dict):
        raise InvalidDocument("tool_call must be an object")
    tags = doc["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise InvalidDocument("tags must be an array of non-empty strings")
    if len(tags) > MAX_TAGS:
        raise InvalidDocument(f"tags: a guardrail carries at most {MAX_TAGS} tags")
    return doc
