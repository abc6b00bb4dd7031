"""Field rules of objective sets (contract §8): items, references between them, cycles."""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidDocument

SERVER_OWNED = ("objectives_id", "owner_id", "created_at", "updated_at")
ITEM_NAME = re.compile(r"^[A-Za-z0-9_]{1,100}$")
MODALITIES = ("verbal", "visual", "audio")
CONFIRMATION = ("auto", "manual")
MAX_NAME = 100
MAX_ITEMS = 50
MAX_PROMPT = 10_000
MAX_OUTPUT_VARIABLES = 50
MAX_CALLBACK_URL = 2_048
ITEM_FIELDS = (
    "objective_name",
    "objective_prompt",
    "confirmation_mode",
    "output_variables",
    "modality",
    "next_required_objective",
    "next_conditional_objectives",
    "callback_url",
    "tool_call",
)


def _item(index: int, raw: Any) -> dict[str, Any]:
    where = f"data[{index}]"
    if not isinstance(raw, dict):
        raise InvalidDocument(f"{where} must be an object")
    item: dict[str, Any] = {k: v for k, v in raw.items() if v is not None}
    for key in item:
        if key not in ITEM_FIELDS:
            raise InvalidDocument(f"{where}.{key} is not a known objective field; remove it")
    name = item.get("objective_name")
    if not isinstance(name, str) or not ITEM_NAME.match(name):
        raise InvalidDocument(
            f"{where}.objective_name is required: letters, digits and _, at most 100 characters"
        )
    prompt = item.get("objective_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidDocument(f"{where}.objective_prompt is required")
    if len(prompt) > MAX_PROMPT:
        raise InvalidDocument(f"{where}.objective_prompt must be at most {MAX_PROMPT:,} characters")
    item.setdefault("confirmation_mode", "auto")
    if item["confirmation_mode"] not in CONFIRMATION:
        raise InvalidDocument(f"{where}.confirmation_mode must be auto or manual")
    if "modality" in item and item["modality"] not in MODALITIES:
        raise InvalidDocument(f"{where}.modality must be one of {', '.join(MODALITIES)}")
    variables = item.get("output_variables", [])
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise InvalidDocument(f"{where}.output_variables must be an array of strings")
    if len(variables) > MAX_OUTPUT_VARIABLES:
        raise InvalidDocument(f"{where}.output_variables: at most {MAX_OUTPUT_VARIABLES}")
    url = item.get("callback_url", "")
    if not isinstance(url, str) or len(url) > MAX_CALLBACK_URL:
        raise InvalidDocument(f"{where}.callback_url must be a string of at most 2,048 characters")
    if "tool_call" in item and not isinstance(item["tool_call"], dict):
        raise InvalidDocument(f"{where}.tool_call must be an object")
    required = item.get("next_required_objective")
    if required is not None and not isinstance(required, str):
        raise InvalidDocument(f"{where}.next_required_objective must be an objective name")
    conditional = item.get("next_conditional_objectives", {})
    if not isinstance(conditional, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in conditional.items()
    ):
        raise InvalidDocument(
            f"{where}.next_conditional_objectives must map objective names to conditions"
        )
    return item


def _next(item: dict[str, Any]) -> list[str]:
    found = [item["next_required_objective"]] if "next_required_objective" in item else []
    return found + list(item.get("next_conditional_objectives", {}))


def _cycle(items: list[dict[str, Any]]) -> list[str] | None:
    """A cycle of objective names, if the references form one."""
    edges = {item["objective_name"]: _next(item) for item in items}
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        trail.append(name)
        for target in edges.get(name, []):
            if state.get(target) == 1:
                return [*trail[trail.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        state[name] = 2
        trail.pop()
        return None

    for name in edges:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def normalize_objectives(body: Any) -> dict[str, Any]:
    """The user-owned part of an objective set, checked; ``InvalidDocument`` names the problem."""
    if not isinstance(body, dict):
        raise InvalidDocument("the request body must be a JSON object describing the objectives")
    doc = {k: v for k, v in body.items() if k not in SERVER_OWNED and v is not None}
    for key in doc:
        if key not in ("name", "data", "allow_loops"):
            raise InvalidDocument(f"{key} is not a known objectives field; remove it")
    name = doc.get("name", "")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise InvalidDocument(f"name must be a string of at most {MAX_NAME} characters")
    allow_loops = doc.setdefault("allow_loops", False)
    if not isinstance(allow_loops, bool):
        raise InvalidDocument("allow_loops must be true or false")
    data = doc.get("data")
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_ITEMS:
        raise InvalidDocument(f"data must be an array of 1 to {MAX_ITEMS} objectives")
    items = [_item(i, item) for i, item in enumerate(data)]
    names = [item["objective_name"] for item in items]
    for index, item in enumerate(items):
        if names.index(item["objective_name"]) != index:
            raise InvalidDocument(
                f"data[{index}].objective_name {item['objective_name']!r} is used twice"
            )
    for index, item in enumerate(items):
        for target in _next(item):
            if target not in names:
                raise InvalidDocument(
                    f"data[{index}] refers to objective {target!r}, which is not in the set"
                )
        if item.get("next_required_objective") == item["objective_name"]:
            raise InvalidDocument(f"data[{index}].next_required_objective names itself")
    if not allow_loops:
        cycle = _cycle(items)
        if cycle:
            raise InvalidDocument(
                f"the objectives form a cycle ({' -> '.join(cycle)}); break it or set "
                "allow_loops: true"
            )
    return {**doc, "name": name, "data": items}
