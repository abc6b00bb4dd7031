"""Data tables describing the PAL document (pal-api.md sections 2.1 and 3).

Everything the canonical form decides per field is a row here, so the rules can be read and
updated without touching code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from pal_provider.core.jsonvalue import Json, Path

MANAGED_TOP_LEVEL: Final[frozenset[str]] = frozenset(
    {
        "pal_name",
        "system_prompt",
        "pipeline_mode",
        "default_face_id",
        "context",
        "greeting",
        "document_ids",
        "document_tags",
        "objectives_id",
        "guardrails_id",
        "guardrail_ids",
        "guardrail_tags",
        "memories",
        "tool_ids",
        "is_template",
        "layers",
    }
)
"""Declarable top-level fields (section 2.1): the only ones compared and patched."""

MANAGED_LAYER_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "llm": frozenset(
            {
                "model",
                "base_url",
                "api_key",
                "speculative_inference",
                "headers",
                "extra_body",
                "default_query",
                "tools",
                "disable_vision",
                "enable_llm_proxy",
                "is_custom",
                "model_name",
                "endpoint",
            }
        ),
        "tts": frozenset(
            {
                "tts_engine",
                "api_key",
                "external_voice_id",
                "voice_id",
                "tts_model_name",
                "tts_emotion_control",
                "voice_settings",
                "pronunciation_dictionary_id",
                "playht_user_id",
            }
        ),
        "stt": frozenset(
            {
                "stt_engine",
                "participant_pause_sensitivity",
                "participant_interrupt_sensitivity",
                "hotwords",
                "smart_turn_detection",
            }
        ),
        "perception": frozenset(
            {
                "perception_model",
                "visual_awareness_queries",
                "audio_awareness_queries",
                "perception_analysis_queries",
                "ambient_awareness_queries",
                "tool_prompt",
                "visual_tool_prompt",
                "visual_tools",
                "audio_tool_prompt",
                "audio_tools",
                "perception_tool_prompt",
                "perception_tools",
            }
        ),
        "conversational_flow": frozenset(
            {
                "turn_detection_model",
                "turn_taking_patience",
                "face_interruptibility",
                "turn_commitment",
                "active_listening",
                "voice_isolation",
                "noise_cancellation",
                "wake_phrase",
                "sleep_phrase",
                "idle_engagement",
            }
        ),
        "conferencing": frozenset({"username", "allowlist", "whitelabel"}),
        "sts": frozenset(),
        "transport": frozenset(),
        "capabilities": frozenset(
            {
                "mcp_enabled",
                "search_enabled",
                "activity_log_enabled",
                "search_results_prompt_injection_prevention_enabled",
            }
        ),
        "knowledge_base": frozenset(
            {
                "rag_score_threshold",
                "rag_n_chunks",
                "rag_surrounding_chunk_radius",
                "enable_rag_observability_app_messages",
                "use_procedure_goalchain",
            }
        ),
    }
)
"""Declarable fields of each layer (section 3)."""

OPEN_LAYERS: Final[frozenset[str]] = frozenset({"sts", "transport"})
"""Layers whose keys are open (section 3.7): every child key is declarable and compared."""

SERVER_OWNED: Final[frozenset[str]] = frozenset(
    {
        "pal_id",
        "persona_id",
        "created_at",
        "updated_at",
        "owner_id",
        "conferencing_email",
        "pal_type",
        "persona_type",
        "is_system",
        "discarded_maker_changes",
        # In the official client's schema; accepted on PATCH as no-ops (section 2.1).
        "uuid",
        "session_id",
        "is_draft",
        "source_template_id",
        "registration_id",
        "pal_settings_id",
        "pal_url",
        "test_url",
        "deploy_url",
    }
)
"""Written by the server; never compared or patched, even with ``managed_only=False``."""

LEGACY_ALIASES: Final[Mapping[Path, tuple[str, ...]]] = MappingProxyType(
    {
        ("pal_name",): ("persona_name",),
        ("default_face_id",): ("default_replica_id",),
        ("layers", "conversational_flow", "face_interruptibility"): (
            "pal_interruptibility",
            "replica_interruptibility",
        ),
    }
)
"""Canonical path -> older keys at the same place (persona vocabulary, and the name revision 1
used), newest first. The current name wins when a document carries several."""

SET_VALUED: Final[frozenset[Path]] = frozenset(
    {
        ("document_ids",),
        ("document_tags",),
        ("guardrail_ids",),
        ("guardrail_tags",),
        ("tool_ids",),
        ("layers", "conferencing", "allowlist"),
    }
)
"""Arrays of ids/tags/patterns whose order and duplicates carry no meaning: sorted, deduplicated."""

LOWERCASED: Final[frozenset[Path]] = frozenset({("layers", "conferencing", "username")})
"""Strings the server stores lower-case."""

EMPTY_MEANS_ABSENT = "None, '', {} and [] as the value of a managed field or layer"
"""Documented decision: the API does not distinguish an empty managed value from an absent one.
Inside free-form values (headers, extra_body, voice_settings, tools ...) values are compared
verbatim."""


@dataclass(frozen=True)
class Default:
    """A documented server default.

    ``policy``:
    * ``fill``: the value is written into both documents when the field is absent and
      ``when`` holds (the server fills it, section 2.4);
    * ``elide``: a value equal to the default is dropped from both documents, because the server
      may or may not echo it.
    ``when`` (for ``fill``): ``always``; ``full_mode`` (pipeline_mode is ``full``);
    ``layer_active`` (the containing layer has at least one field set).
    """

    path: Path
    value: Json
    policy: Literal["fill", "elide"]
    when: Literal["always", "full_mode", "layer_active"] = "always"


DEFAULTS: Final[tuple[Default, ...]] = (
    Default(("pipeline_mode",), "full", "fill"),
    Default(("layers", "llm", "speculative_inference"), True, "fill", "full_mode"),
    Default(
        ("layers", "conversational_flow", "turn_detection_model"),
        "sparrow-1",
        "fill",
        "layer_active",
    ),
    Default(
        ("layers", "conversational_flow", "turn_taking_patience"), "medium", "fill", "layer_active"
    ),
    Default(
        ("layers", "conversational_flow", "face_interruptibility"), "medium", "fill", "layer_active"
    ),
    Default(("layers", "tts", "tts_engine"), "cartesia", "elide"),
    Default(("layers", "stt", "stt_engine"), "tavus-advanced", "elide"),
    Default(("layers", "perception", "perception_model"), "raven-1", "elide"),
    Default(("is_template",), False, "elide"),
    Default(("layers", "llm", "disable_vision"), False, "elide"),
    Default(("layers", "llm", "enable_llm_proxy"), False, "elide"),
    Default(("layers", "tts", "tts_emotion_control"), False, "elide"),
)

ELIDED_DEFAULTS: Final[Mapping[Path, Json]] = MappingProxyType(
    {row.path: row.value for row in DEFAULTS if row.policy == "elide"}
)


@dataclass(frozen=True)
class ServerChosen:
    """A field whose live value is not compared when the declaration leaves it out, because the
    server picks it (and its choice may change over time, like the default model).

    ``needs_declared_parent``: only ignored when the declaration has the containing object; a
    declaration without the object at all asks for the whole object to go.
    """

    path: Path
    needs_declared_parent: bool


SERVER_CHOSEN: Final[tuple[ServerChosen, ...]] = (
    ServerChosen(("layers", "llm", "model"), needs_declared_parent=False),
    # Attachments are normally reconciled through /pals/{id}/tools; only compared when declared.
    ServerChosen(("tool_ids",), needs_declared_parent=False),
    # No documented defaults: the server fills them once the layer is active.
    ServerChosen(("layers", "conversational_flow", "voice_isolation"), needs_declared_parent=True),
    ServerChosen(("layers", "conversational_flow", "idle_engagement"), needs_declared_parent=True),
    ServerChosen(("layers", "conversational_flow", "turn_commitment"), needs_declared_parent=True),
    ServerChosen(("layers", "conversational_flow", "active_listening"), needs_declared_parent=True),
    ServerChosen(
        ("layers", "conversational_flow", "noise_cancellation"), needs_declared_parent=True
    ),
)

VOICE_SETTINGS: Final[Path] = ("layers", "tts", "voice_settings")
PRONUNCIATION_DICTIONARY: Final[Path] = ("layers", "tts", "pronunciation_dictionary_id")
"""With a pronunciation dictionary the server writes its own keys into voice_settings: when the
declaration sets a dictionary, only the declared keys of voice_settings are compared."""
