"""Field rules, server defaults and server-filled fields of a PAL document (contract §2-3).

``normalize_pal`` takes the user-owned part of a PAL in the ``/pals`` vocabulary and
returns the document the server stores, or raises ``InvalidDocument`` with a message
naming the field and the fix.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .catalog import Catalog, load_catalog
from .errors import InvalidDocument

MASK = "********"
SERVER_OWNED = ("pal_id", "pal_type", "owner_id", "created_at", "updated_at", "conferencing_email")
# Server-owned fields the official client's PAL schema carries: a PATCH that writes them is
# accepted and changes nothing (contract §2.1, revision 2).
PATCH_NO_OPS = frozenset(
    {
        "uuid",
        "owner_id",
        "created_at",
        "updated_at",
        "session_id",
        "is_draft",
        "source_template_id",
        "registration_id",
        "pal_settings_id",
        "pal_type",
        "pal_url",
        "test_url",
        "deploy_url",
    }
)
PIPELINE_MODES = ("full", "echo", "speech-to-speech")
USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
CONFERENCING_DOMAIN = "tavusinvite.com"
SECRET_PATHS = (("llm", "api_key"), ("tts", "api_key"))

# Keys the server writes into voice_settings for a pronunciation dictionary, per TTS engine.
PRONUNCIATION_KEYS = {
    "cartesia": "pronunciation_dict_ids",
    "elevenlabs": "pronunciation_dictionary_locators",
    "azure": "custom_lexicon_ids",
}

_STR = "string"
_BOOL = "boolean"
_STRS = "array of strings"
_OBJ = "object"
_ARR = "array"
_NUM = "number"
_INT = "integer"
_FLAG = "string, boolean or object"
# A layer whose keys are open: any child key, any JSON value (contract §3.7).
OPEN = None

TOP_LEVEL_FIELDS: dict[str, str] = {
    "pal_name": _STR,
    "system_prompt": _STR,
    "pipeline_mode": _STR,
    "default_face_id": _STR,
    "context": _STR,
    "greeting": _STR,
    "document_ids": _STRS,
    "document_tags": _STRS,
    "objectives_id": _STR,
    "guardrails_id": _STR,
    "guardrail_ids": _STRS,
    "guardrail_tags": _STRS,
    "memories": _STRS,
    "tool_ids": _STRS,
    "is_template": _BOOL,
    "layers": _OBJ,
}

LAYER_FIELDS: dict[str, dict[str, str] | None] = {
    "llm": {
        "model": _STR,
        "base_url": _STR,
        "api_key": _STR,
        "speculative_inference": _BOOL,
        "headers": _OBJ,
        "extra_body": _OBJ,
        "default_query": _OBJ,
        "tools": _ARR,
        "disable_vision": _BOOL,
        "enable_llm_proxy": _BOOL,
        "is_custom": _BOOL,
        "model_name": _STR,
        "endpoint": _STR,
    },
    "tts": {
        "tts_engine": _STR,
        "api_key": _STR,
        "external_voice_id": _STR,
        "voice_id": _STR,
        "tts_model_name": _STR,
        "tts_emotion_control": _BOOL,
        "voice_settings": _OBJ,
        "pronunciation_dictionary_id": _STR,
        "playht_user_id": _STR,
    },
    "stt": {
        "stt_engine": _STR,
        "participant_pause_sensitivity": _STR,
        "participant_interrupt_sensitivity": _STR,
        "hotwords": _STR,
        "smart_turn_detection": _BOOL,
    },
    "perception": {
        "perception_model": _STR,
        "visual_awareness_queries": _STRS,
        "audio_awareness_queries": _STRS,
        "perception_analysis_queries": _STRS,
        "ambient_awareness_queries": _STRS,
        "tool_prompt": _STR,
        "visual_tool_prompt": _STR,
        "visual_tools": _ARR,
        "audio_tool_prompt": _STR,
        "audio_tools": _ARR,
        "perception_tool_prompt": _STR,
        "perception_tools": _ARR,
    },
    "conversational_flow": {
        "turn_detection_model": _STR,
        "turn_taking_patience": _STR,
        "face_interruptibility": _STR,
        "turn_commitment": _STR,
        "active_listening": _STR,
        "voice_isolation": _STR,
        "noise_cancellation": _STR,
        "wake_phrase": _STR,
        "sleep_phrase": _STR,
        "idle_engagement": _FLAG,
    },
    "conferencing": {"username": _STR, "allowlist": _STRS, "whitelabel": _BOOL},
    "sts": OPEN,
    "transport": OPEN,
    "capabilities": {
        "mcp_enabled": _BOOL,
        "search_enabled": _BOOL,
        "activity_log_enabled": _BOOL,
        "search_results_prompt_injection_prevention_enabled": _BOOL,
    },
    "knowledge_base": {
        "rag_score_threshold": _NUM,
        "rag_n_chunks": _INT,
        "rag_surrounding_chunk_radius": _INT,
        "enable_rag_observability_app_messages": _BOOL,
        "use_procedure_goalchain": _BOOL,
    },
}


def _check_type(field: str, value: Any, kind: str) -> None:
    ok = {
        _STR: isinstance(value, str),
        _BOOL: isinstance(value, bool),
        _OBJ: isinstance(value, dict),
        _ARR: isinstance(value, list),
        _STRS: isinstance(value, list) and all(isinstance(v, str) for v in value),
        _NUM: isinstance(value, (int, float)) and not isinstance(value, bool),
        _INT: isinstance(value, int) and not isinstance(value, bool),
        _FLAG: isinstance(value, (str, bool, dict)),
    }[kind]
    if not ok:
        raise InvalidDocument(f"{field} must be a {kind}")


def _check_enum(field: str, value: Any, allowed: tuple[str, ...] | frozenset[str]) -> None:
    if value not in allowed:
        raise InvalidDocument(
            f"{field} must be one of {', '.join(sorted(allowed))} (got {value!r})"
        )


def _drop_nulls(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def _check_fields(obj: dict[str, Any], spec: dict[str, str], prefix: str) -> None:
    for key, value in obj.items():
        if key not in spec:
            raise InvalidDocument(f"{prefix}{key} is not a known field; remove it")
        _check_type(f"{prefix}{key}", value, spec[key])


def _check_inline_tools(field: str, tools: list[Any]) -> None:
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or tool.get("type") != "function":
            raise InvalidDocument(
                f'{field}[{i}] must be {{"type": "function", "function": {{"name", "description", "parameters"}}}}'
            )
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            raise InvalidDocument(f"{field}[{i}].function.name must be a non-empty string")
        if "parameters" in fn and not isinstance(fn["parameters"], dict):
            raise InvalidDocument(f"{field}[{i}].function.parameters must be an object")


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _normalize_llm(llm: dict[str, Any], cat: Catalog, full_mode: bool) -> dict[str, Any]:
    model = llm.get("model")
    base_url = llm.get("base_url")
    if isinstance(model, str) and model in cat.llm_retired_models:
        raise InvalidDocument(
            f"layers.llm.model {model!r} is retired; choose a current model such as {cat.llm_default_model}"
        )
    if base_url is not None:
        if not _is_http_url(base_url):
            raise InvalidDocument("layers.llm.base_url must be an http(s) URL with a host")
        if urlsplit(base_url).path.rstrip("/").endswith("/chat/completions"):
            raise InvalidDocument(
                "layers.llm.base_url must be the provider's base URL without the /chat/completions route "
                "(Tavus appends it)"
            )
        if not model:
            raise InvalidDocument("layers.llm.model is required for a custom LLM (base_url is set)")
        if cat.is_hosted(model):
            raise InvalidDocument(
                f"layers.llm.base_url is only for custom LLMs; {model!r} is Tavus-hosted, remove base_url"
            )
        if not llm.get("api_key"):
            raise InvalidDocument(
                "layers.llm.api_key is required for a custom LLM (base_url is set)"
            )
    else:
        if model is not None and not cat.is_hosted(model):
            raise InvalidDocument(
                f"layers.llm.model {model!r} is not a Tavus-hosted model; a custom LLM also needs base_url and api_key"
            )
        if "api_key" in llm:
            raise InvalidDocument(
                "layers.llm.api_key is only for custom LLMs; set base_url or remove api_key"
            )
        extra = set(llm.get("extra_body", {})) - cat.llm_hosted_extra_body_keys
        if extra:
            raise InvalidDocument(
                f"layers.llm.extra_body.{sorted(extra)[0]} is not allowed for hosted models "
                "(only temperature and top_p)"
            )
        if full_mode and model is None:
            llm["model"] = cat.llm_default_model
    if "tools" in llm:
        _check_inline_tools("layers.llm.tools", llm["tools"])
    if full_mode and "speculative_inference" not in llm:
        llm["speculative_inference"] = True
    return llm


def _normalize_tts(tts: dict[str, Any], cat: Catalog) -> dict[str, Any]:
    engine = tts.get("tts_engine", "cartesia")
    _check_enum("layers.tts.tts_engine", engine, cat.tts_engines)
    settings = dict(tts.get("voice_settings", {}))
    for key in PRONUNCIATION_KEYS.values():
        settings.pop(key, None)
    dictionary = tts.get("pronunciation_dictionary_id")
    if dictionary is not None:
        key = PRONUNCIATION_KEYS[engine]
        if engine == "elevenlabs":
            settings[key] = [{"pronunciation_dictionary_id": dictionary, "version_id": "latest"}]
        else:
            settings[key] = [dictionary]
    if settings or "voice_settings" in tts:
        tts["voice_settings"] = settings
    return tts


def _normalize_layers(
    layers: dict[str, Any], cat: Catalog, full_mode: bool, has_face: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in layers.items():
        if name not in LAYER_FIELDS:
            raise InvalidDocument(f"layers.{name} is not a known layer; remove it")
        if value is None:
            continue
        if not isinstance(value, dict):
            raise InvalidDocument(f"layers.{name} must be an object")
        layer = _drop_nulls(value)
        fields = LAYER_FIELDS[name]
        if fields is not OPEN:
            _check_fields(layer, fields, f"layers.{name}.")
        out[name] = layer

    if full_mode:
        out.setdefault("llm", {})
    if "llm" in out:
        out["llm"] = _normalize_llm(out["llm"], cat, full_mode)
    if "tts" in out:
        out["tts"] = _normalize_tts(out["tts"], cat)
    stt = out.get("stt", {})
    if "stt_engine" in stt:
        _check_enum("layers.stt.stt_engine", stt["stt_engine"], cat.stt_engines)
    for key in ("participant_pause_sensitivity", "participant_interrupt_sensitivity"):
        if key in stt:
            _check_enum(f"layers.stt.{key}", stt[key], cat.sensitivities)
    perception = out.get("perception", {})
    if "perception_model" in perception:
        _check_enum(
            "layers.perception.perception_model",
            perception["perception_model"],
            cat.perception_models,
        )
    for key in ("visual_tools", "audio_tools", "perception_tools"):
        if key in perception:
            _check_inline_tools(f"layers.perception.{key}", perception[key])
    if "conversational_flow" in out:
        flow = out["conversational_flow"]
        checks = {
            "turn_detection_model": cat.turn_detection_models,
            "turn_taking_patience": cat.levels,
            "face_interruptibility": cat.levels,
            "voice_isolation": cat.voice_isolation,
        }
        for key, allowed in checks.items():
            if key in flow:
                _check_enum(f"layers.conversational_flow.{key}", flow[key], allowed)
        if flow:
            for key, default in cat.conversational_flow_defaults.items():
                flow.setdefault(key, default)
    if "conferencing" in out:
        conf = out["conferencing"]
        if "username" in conf:
            username = conf["username"].lower()
            if len(username) < 2 or not USERNAME.match(username):
                raise InvalidDocument(
                    "layers.conferencing.username must be at least 2 characters, letters or digits at both "
                    "ends and only letters, digits, '.', '_' or '-' inside"
                )
            conf["username"] = username
        if conf and not has_face:
            raise InvalidDocument("layers.conferencing requires default_face_id; set a face first")
    return out


def normalize_pal(
    user_doc: dict[str, Any],
    *,
    face_exists: Callable[[str], bool],
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """Validate the user-owned fields and fill the server defaults (never mutates the input)."""
    cat = catalog or load_catalog()
    doc = _drop_nulls(copy.deepcopy(user_doc))
    for key in doc:
        if key in SERVER_OWNED:
            raise InvalidDocument(f"{key} is set by the server and cannot be written")
    _check_fields(doc, TOP_LEVEL_FIELDS, "")
    mode = doc.setdefault("pipeline_mode", "full")
    _check_enum("pipeline_mode", mode, PIPELINE_MODES)
    if mode == "full":
        if not doc.get("system_prompt", "").strip():
            raise InvalidDocument(
                "system_prompt is required and must be non-empty when pipeline_mode is full"
            )
    else:
        for key in ("system_prompt", "context"):
            if key in doc:
                raise InvalidDocument(
                    f"{key} is not allowed when pipeline_mode is {mode}; remove it"
                )
    # Revision 2: a PAL may have no face (the official client creates them so); conferencing
    # and conversations need one.
    face = doc.get("default_face_id")
    if face is not None and not face_exists(face):
        raise InvalidDocument(f"default_face_id {face!r} is not a known face")
    if "tool_ids" in doc and len(doc["tool_ids"]) > 50:
        raise InvalidDocument("tool_ids may list at most 50 tools")
    layers = _normalize_layers(doc.get("layers", {}), cat, mode == "full", face is not None)
    if layers:
        doc["layers"] = layers
    else:
        doc.pop("layers", None)
    for layer, key in SECRET_PATHS:
        if layers.get(layer, {}).get(key) == MASK:
            raise InvalidDocument(
                f"layers.{layer}.{key} is the masked echo '********', not a secret; send the real value"
            )
    return doc


def is_patch_no_op(op: dict[str, Any]) -> bool:
    """A write to a server-owned field of :data:`PATCH_NO_OPS`: accepted, and ignored."""
    top = op["path"].split("/")[1] if op["path"].count("/") >= 1 else ""
    return op["op"] != "test" and top in PATCH_NO_OPS


def conferencing_username(doc: dict[str, Any]) -> str | None:
    value = doc.get("layers", {}).get("conferencing", {}).get("username")
    return value if isinstance(value, str) else None


def mask_pal(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the API shows it: secrets replaced by ``********``."""
    layers = doc.get("layers")
    if not isinstance(layers, dict):
        return doc
    out = None
    for layer, key in SECRET_PATHS:
        section = layers.get(layer)
        if isinstance(section, dict) and key in section:
            if out is None:
                out = {**doc, "layers": dict(layers)}
            out["layers"][layer] = {**section, key: MASK}
    return out if out is not None else doc


def restore_masked_secrets(patched: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A ``********`` written back into a secret slot keeps the stored secret (see package docs)."""
    for layer, key in SECRET_PATHS:
        section = (
            patched.get("layers", {}).get(layer)
            if isinstance(patched.get("layers"), dict)
            else None
        )
        if isinstance(section, dict) and section.get(key) == MASK:
            old = stored.get("layers", {}).get(layer, {}).get(key)
            if old is not None:
                section[key] = old
    return patched
