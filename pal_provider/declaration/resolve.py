"""Resolution: a valid declaration -> the API-shaped bodies palfleet wants to exist.

`defaults` are merged under each PAL, bindings (faces, custom LLM endpoints, secret names)
are substituted, reconciler options are taken out, and every secret becomes a
`{"$secret": "<pulumi config key>"}` marker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pal_provider.core.masking import TOOL_AUTH_SECRET_KEYS
from pal_provider.core.records import GUARDRAIL, OBJECTIVES, record_body

from .llm_binding import llm_binding
from .merge import merge_intent
from .models import Bindings, FleetDeclaration, LlmLayer, PalIntent, SecretRef, ToolSpec
from .secrets import secret_marker


class ResolutionError(ValueError):
    """The fleet refers to something it does not bind. `load_stack(...).ok` rules this out."""


@dataclass(frozen=True)
class DesiredPal:
    logical_name: str
    body: dict[str, Any]
    adopt_id: str | None = None
    force: bool = False
    migrate_inline_tools: bool = False
    tool_names: list[str] = field(default_factory=list)
    # Logical names of the stack's guardrails and objective set: their ids are the account's,
    # known once those exist (the program passes their resources' ids into the body).
    guardrail_names: list[str] = field(default_factory=list)
    objectives_name: str | None = None


@dataclass(frozen=True)
class DesiredTool:
    name: str
    body: dict[str, Any]


@dataclass(frozen=True)
class DesiredRecord:
    """A guardrail or objective set: its logical name and API body."""

    name: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ResolvedFleet:
    stack: str
    api_base_url: str
    api_key_config_key: str
    pals: dict[str, DesiredPal]
    tools: dict[str, DesiredTool]
    guardrails: dict[str, DesiredRecord] = field(default_factory=dict)
    objectives: dict[str, DesiredRecord] = field(default_factory=dict)


def _config_key(ref: SecretRef, bindings: Bindings) -> str:
    return bindings.secrets.get(ref.secret, ref.secret)


def _marker(ref: SecretRef, bindings: Bindings) -> dict[str, str]:
    return secret_marker(_config_key(ref, bindings))


def resolve_pal(name: str, pal: PalIntent, fleet: FleetDeclaration) -> DesiredPal:
    bindings = fleet.bindings
    body = pal.model_dump(exclude_none=True, exclude={"palfleet", "face"})
    body.setdefault("pal_name", name)
    if pal.face is not None:
        if pal.face not in bindings.faces:
            raise ResolutionError(f"PAL {name!r}: face {pal.face!r} is not bound")
        body["default_face_id"] = bindings.faces[pal.face]
    layers = pal.layers
    llm = layers.llm if layers is not None else None
    binding = llm_binding(pal, bindings.llm_endpoints)
    if llm is not None or binding is not None:
        llm = llm or LlmLayer()
        llm_body: dict[str, Any] = body.setdefault("layers", {}).setdefault("llm", {})
        if binding is not None:
            if binding.legacy:
                llm_body.pop("endpoint", None)  # the old spelling of the binding, not the API's
            endpoint = bindings.llm_endpoints.get(binding.name)
            if endpoint is None:
                raise ResolutionError(f"PAL {name!r}: llm_endpoint {binding.name!r} is not bound")
            llm_body["base_url"] = endpoint.base_url
            llm_body["api_key"] = _marker(endpoint.api_key, bindings)
            for key in ("headers", "default_query"):
                merged = {**(getattr(endpoint, key) or {}), **(getattr(llm, key) or {})}
                if merged:
                    llm_body[key] = merged
        elif llm.api_key is not None:
            llm_body["api_key"] = _marker(llm.api_key, bindings)
    if layers is not None and layers.tts is not None and layers.tts.api_key is not None:
        body["layers"]["tts"]["api_key"] = _marker(layers.tts.api_key, bindings)
    options = pal.palfleet
    documents = [bindings.documents[d] for d in (options.documents or [])] if options else []
    if documents:
        body["document_ids"] = sorted({*body.get("document_ids", []), *documents})
    adopt = (options.adopt_id if options else None) or bindings.adopt_ids.get(name)
    return DesiredPal(
        logical_name=name,
        body=body,
        adopt_id=adopt,
        force=bool(options and options.force_maker_overwrite),
        migrate_inline_tools=bool(options and options.migrate_inline_tools),
        tool_names=list(options.tools or []) if options else [],
        guardrail_names=list(options.guardrails or []) if options else [],
        objectives_name=options.objectives if options else None,
    )


def with_record_ids(
    pal: DesiredPal, guardrail_id: Callable[[str], Any], objectives_id: Callable[[str], Any]
) -> dict[str, Any]:
    """The PAL's body with the account's ids of the guardrails and objective set it names
    (``guardrail_id(name)`` / ``objectives_id(name)``: an id, or the program's Output of one),
    after any raw ``guardrail_ids`` it declares."""
    body = dict(pal.body)
    if pal.guardrail_names:
        named = [guardrail_id(name) for name in pal.guardrail_names]
        body["guardrail_ids"] = [*body.get("guardrail_ids", []), *named]
    if pal.objectives_name is not None:
        body["objectives_id"] = objectives_id(pal.objectives_name)
    return body


def resolve_tool(name: str, tool: ToolSpec, bindings: Bindings) -> DesiredTool:
    body = {"name": name, **tool.model_dump(exclude_none=True, exclude={"name"})}
    auth = tool.delivery.api.auth if tool.delivery and tool.delivery.api else None
    if auth is not None:
        auth_body = body["delivery"]["api"]["auth"]
        for key in sorted(TOOL_AUTH_SECRET_KEYS):
            ref = getattr(auth, key, None)
            if isinstance(ref, SecretRef):
                auth_body[key] = _marker(ref, bindings)
    return DesiredTool(name=name, body=body)


def resolve_fleet(fleet: FleetDeclaration, stack: str) -> ResolvedFleet:
    pals = {
        name: resolve_pal(name, merge_intent(fleet.defaults, fleet.pals[name]), fleet)
        for name in sorted(fleet.pals)
    }
    tools = {
        name: resolve_tool(name, fleet.tools[name], fleet.bindings) for name in sorted(fleet.tools)
    }
    guardrails = {
        name: DesiredRecord(
            name, record_body(GUARDRAIL, name, fleet.guardrails[name].model_dump(exclude_none=True))
        )
        for name in sorted(fleet.guardrails)
    }
    objectives = {
        name: DesiredRecord(
            name,
            record_body(OBJECTIVES, name, fleet.objectives[name].model_dump(exclude_none=True)),
        )
        for name in sorted(fleet.objectives)
    }
    return ResolvedFleet(
        stack=stack,
        api_base_url=fleet.bindings.api_base_url,
        api_key_config_key=_config_key(fleet.bindings.api_key, fleet.bindings),
        pals=pals,
        tools=tools,
        guardrails=guardrails,
        objectives=objectives,
    )
