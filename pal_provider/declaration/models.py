"""The fleet declaration format (`stacks/<stack>/fleet.yaml`) as pydantic models.

These models are the single source of truth for the shape of a declaration. Every model
forbids unknown keys. Field names follow the `/pals` vocabulary of the PAL API
(`pal_name`, `default_face_id`, `face_interruptibility`); the few declaration-only keys are
`face` (a logical face name bound per environment) and `palfleet` (reconciler options, never
sent to the API), where `palfleet.llm_endpoint` names a custom LLM endpoint bound per
environment. `layers.llm.endpoint` is the API's own field (see `llm_binding.py` for the old
meaning palfleet gave it).

Semantic rules (catalog, URLs, prompt budget, tool limits...) live in `validate.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# A Pulumi config key, with or without its namespace (`palfleet:storytellerLlmKey`).
CONFIG_KEY_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_.-]*:)?[A-Za-z][A-Za-z0-9_.-]*$")


class Strict(BaseModel):
    # Schemas are built on first use: the provider server validates a PAL, never a whole fleet.
    model_config = ConfigDict(extra="forbid", defer_build=True)


def _reject_literal_secret(value: object) -> object:
    if isinstance(value, str):
        raise PydanticCustomError(
            "literal_secret",
            "a secret value is written in the declaration",
        )
    return value


_CREDENTIAL_PREFIXES = ("sk-", "sk_", "pk_", "rk_", "ghp_", "gho_", "xox", "AKIA", "AIza")


def looks_like_a_credential(key: str) -> bool:
    """A "config key" that is really the secret itself (``{secret: sk-proj-...}``)."""
    if ":" in key:
        return False
    digits = sum(character.isdigit() for character in key)
    return key.startswith(_CREDENTIAL_PREFIXES) or (len(key) >= 32 and digits >= 4)


def _check_config_key(key: str) -> str:
    if looks_like_a_credential(key):
        raise PydanticCustomError(
            "secret_in_reference",
            "this looks like the secret itself, not the name of the Pulumi config key that "
            "holds it: run `pulumi config set --secret palfleet:<name> <the secret>` and write "
            "{secret: palfleet:<name>}",
        )
    if not CONFIG_KEY_RE.match(key):
        raise PydanticCustomError(
            "secret_config_key",
            "a secret reference must name a Pulumi config key such as palfleet:llmApiKey",
        )
    return key


class SecretRef(Strict):
    """`{secret: <pulumi config key>}`: the value is set with `pulumi config set --secret`."""

    secret: Annotated[str, AfterValidator(_check_config_key)]


SecretField = Annotated[SecretRef, BeforeValidator(_reject_literal_secret)]

# --- enumerations of the contract (pal-api.md section 3 and 4) ---------------------------

PipelineMode = Literal["full", "echo", "speech-to-speech"]
TtsEngine = Literal["cartesia", "elevenlabs", "azure"]
Sensitivity = Literal["superlow", "verylow", "low", "medium", "high"]
PerceptionModel = Literal["raven-1", "raven-0", "off"]
TurnDetectionModel = Literal["sparrow-1", "sparrow-0", "time-based"]
Level = Literal["low", "medium", "high"]
ToolOrigin = Literal["llm", "vision", "audio"]
TriggerType = Literal["in_call", "post_call"]
OnCall = Literal["generate_filler", "static_filler", "silent", "passthrough"]
OnResolve = Literal["generate_response", "response_in_result", "add_to_context", "fire_and_forget"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
ApiKeyLocation = Literal["header", "query"]

# --- legacy inline tools ------------------------------------------------------------------


class InlineFunction(Strict):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class InlineTool(Strict):
    """Deprecated OpenAI-style inline function (`layers.llm.tools`, perception tool lists)."""

    type: Literal["function"] = "function"
    function: InlineFunction


# --- layers -------------------------------------------------------------------------------

QueryValue = str | int | float | bool


class LlmLayer(Strict):
    model: str | None = None
    endpoint: str | None = Field(
        default=None,
        description="the API's own endpoint field; a binding is palfleet.llm_endpoint",
    )
    base_url: str | None = None
    api_key: SecretField | None = None
    speculative_inference: bool | None = None
    headers: dict[str, str] | None = None
    extra_body: dict[str, Any] | None = None
    default_query: dict[str, QueryValue] | None = None
    tools: list[InlineTool] | None = None
    disable_vision: bool | None = None
    enable_llm_proxy: bool | None = None
    # In the official client's schema; their semantics are unpublished (contract §3.1).
    is_custom: bool | None = None
    model_name: str | None = None


class TtsLayer(Strict):
    tts_engine: TtsEngine | None = None
    api_key: SecretField | None = None
    external_voice_id: str | None = None
    voice_id: str | None = None
    tts_model_name: str | None = None
    tts_emotion_control: bool | None = None
    voice_settings: dict[str, Any] | None = None
    pronunciation_dictionary_id: str | None = None
    playht_user_id: str | None = None


class SttLayer(Strict):
    # Only `tavus-advanced` is documented; left open so a new engine needs no release.
    stt_engine: str | None = None
    participant_pause_sensitivity: Sensitivity | None = None
    participant_interrupt_sensitivity: Sensitivity | None = None
    hotwords: str | None = None
    smart_turn_detection: bool | None = None


class PerceptionLayer(Strict):
    perception_model: PerceptionModel | None = None
    visual_awareness_queries: list[str] | None = None
    audio_awareness_queries: list[str] | None = None
    perception_analysis_queries: list[str] | None = None
    ambient_awareness_queries: list[str] | None = None
    tool_prompt: str | None = None
    visual_tool_prompt: str | None = None
    visual_tools: list[InlineTool] | None = None
    audio_tool_prompt: str | None = None
    audio_tools: list[InlineTool] | None = None
    perception_tool_prompt: str | None = None
    perception_tools: list[InlineTool] | None = None


class ConversationalFlowLayer(Strict):
    turn_detection_model: TurnDetectionModel | None = None
    turn_taking_patience: Level | None = None
    # Older names (pal_interruptibility, replica_interruptibility) are renamed on reading,
    # with a warning: see renamed_fields.py.
    face_interruptibility: Level | None = None
    # Value lists unpublished (contract §3.5): open strings.
    turn_commitment: str | None = None
    active_listening: str | None = None
    voice_isolation: str | None = None
    noise_cancellation: str | None = None
    wake_phrase: str | None = None
    sleep_phrase: str | None = None
    idle_engagement: str | bool | dict[str, Any] | None = None


class ConferencingLayer(Strict):
    username: str | None = None
    allowlist: list[str] | None = None
    whitelabel: bool | None = None


class CapabilitiesLayer(Strict):
    mcp_enabled: bool | None = None
    search_enabled: bool | None = None
    activity_log_enabled: bool | None = None
    search_results_prompt_injection_prevention_enabled: bool | None = None


class KnowledgeBaseLayer(Strict):
    rag_score_threshold: float | None = None
    rag_n_chunks: int | None = None
    rag_surrounding_chunk_radius: int | None = None
    enable_rag_observability_app_messages: bool | None = None
    use_procedure_goalchain: bool | None = None


class Layers(Strict):
    llm: LlmLayer | None = None
    tts: TtsLayer | None = None
    stt: SttLayer | None = None
    # Open objects (contract §3.7): any child key, sent as written.
    sts: dict[str, Any] | None = None
    transport: dict[str, Any] | None = None
    perception: PerceptionLayer | None = None
    conversational_flow: ConversationalFlowLayer | None = None
    conferencing: ConferencingLayer | None = None
    capabilities: CapabilitiesLayer | None = None
    knowledge_base: KnowledgeBaseLayer | None = None


# --- PALs ---------------------------------------------------------------------------------


class PalOptions(Strict):
    """Reconciler options: how palfleet manages the PAL. Never sent to the API."""

    adopt_id: str | None = None
    force_maker_overwrite: bool | None = None
    migrate_inline_tools: bool | None = None
    tools: list[str] | None = None
    llm_endpoint: str | None = Field(
        default=None, description="custom LLM endpoint from bindings.llm_endpoints"
    )
    guardrails: list[str] | None = Field(
        default=None, description="logical names from the stack's guardrails:"
    )
    objectives: str | None = Field(
        default=None, description="logical name from the stack's objectives:"
    )
    documents: list[str] | None = Field(
        default=None, description="logical names from bindings.documents"
    )


class PalIntent(Strict):
    """One PAL as declared (also the shape of `defaults`): every field is optional here;
    required-ness is checked after `defaults` are merged in."""

    pal_name: str | None = None
    system_prompt: str | None = None
    pipeline_mode: PipelineMode | None = None
    face: str | None = Field(default=None, description="logical face name from bindings.faces")
    default_face_id: str | None = None
    context: str | None = None
    greeting: str | None = None
    document_ids: list[str] | None = None
    document_tags: list[str] | None = None
    objectives_id: str | None = None
    guardrails_id: str | None = None
    guardrail_ids: list[str] | None = None
    guardrail_tags: list[str] | None = None
    memories: list[str] | None = None
    tool_ids: list[str] | None = None
    is_template: bool | None = None
    layers: Layers | None = None
    palfleet: PalOptions | None = None


# --- registry tools (pal-api.md section 4) -------------------------------------------------


class NoAuth(Strict):
    type: Literal["none"]


class BearerAuth(Strict):
    type: Literal["bearer"]
    token: SecretField


class BasicAuth(Strict):
    type: Literal["basic"]
    username: str
    password: SecretField


class ApiKeyAuth(Strict):
    type: Literal["api_key"]
    name: str
    value: SecretField
    location: ApiKeyLocation | None = None


class HmacAuth(Strict):
    type: Literal["hmac"]
    secret: SecretField


class OAuth2ClientCredentialsAuth(Strict):
    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id: str
    client_secret: SecretField
    scope: str | None = None


ToolAuth = Annotated[
    NoAuth | BearerAuth | BasicAuth | ApiKeyAuth | HmacAuth | OAuth2ClientCredentialsAuth,
    Field(discriminator="type"),
]


class ApiDelivery(Strict):
    url: str
    method: HttpMethod | None = None
    timeout: int | float | None = None
    headers: dict[str, str] | None = None
    query_params: dict[str, QueryValue] | None = None
    body_template: str | dict[str, Any] | None = None
    content_type: str | None = None
    auth: ToolAuth | None = None


class Delivery(Strict):
    app_message: bool | None = None
    api: ApiDelivery | None = None


class ToolSpec(Strict):
    """A registry tool, keyed by its name under the stack's `tools:`."""

    name: str | None = Field(default=None, description="optional; must equal the key")
    description: str
    parameters: dict[str, Any] | None = None
    origin: ToolOrigin | None = None
    trigger_type: TriggerType | None = None
    on_call: OnCall | None = None
    static_filler: str | None = None
    on_resolve: OnResolve | None = None
    delivery: Delivery | None = None
    tags: list[str] | None = None


# --- guardrails and objective sets (pal-api.md section 8) --------------------------------------

Modality = Literal["verbal", "visual", "audio"]


class GuardrailSpec(Strict):
    """A flat guardrail, keyed by logical name under the stack's `guardrails:`."""

    guardrail_name: str | None = Field(default=None, description="defaults to the logical name")
    guardrail_prompt: str
    modality: Modality | None = None
    callback_url: str | None = None
    tool_call: dict[str, Any] | None = None
    app_message: bool | None = None
    tags: list[str] | None = None


class ObjectiveItem(Strict):
    objective_name: str
    objective_prompt: str
    confirmation_mode: Literal["auto", "manual"] | None = None
    output_variables: list[str] | None = None
    modality: Modality | None = None
    next_required_objective: str | None = None
    next_conditional_objectives: dict[str, str] | None = None
    callback_url: str | None = None
    tool_call: dict[str, Any] | None = None


class ObjectivesSpec(Strict):
    """An objective set, keyed by logical name under the stack's `objectives:`."""

    name: str | None = Field(default=None, description="defaults to the logical name")
    allow_loops: bool | None = None
    data: list[ObjectiveItem]


# --- bindings: what differs per environment and is never promoted --------------------------

DEFAULT_API_KEY_CONFIG_KEY = "palfleet:tavusApiKey"


class LlmEndpoint(Strict):
    base_url: str
    api_key: SecretField
    headers: dict[str, str] | None = None
    default_query: dict[str, QueryValue] | None = None


class Bindings(Strict):
    api_base_url: str
    api_key: SecretField = Field(
        default_factory=lambda: SecretRef(secret=DEFAULT_API_KEY_CONFIG_KEY),
        description="Pulumi config key holding the Tavus account API key",
    )
    faces: dict[str, str] = Field(default_factory=dict)
    llm_endpoints: dict[str, LlmEndpoint] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="logical secret name -> Pulumi config key, for `{secret: <logical name>}`",
    )
    adopt_ids: dict[str, str] = Field(
        default_factory=dict, description="PAL logical name -> existing pal_id to take over"
    )
    documents: dict[str, str] = Field(
        default_factory=dict,
        description="knowledge-base document logical name -> this environment's document_id",
    )


class FleetDeclaration(Strict):
    version: Literal[1] = 1
    bindings: Bindings
    defaults: PalIntent | None = None
    pals: dict[str, PalIntent] = Field(default_factory=dict)
    tools: dict[str, ToolSpec] = Field(default_factory=dict)
    guardrails: dict[str, GuardrailSpec] = Field(default_factory=dict)
    objectives: dict[str, ObjectivesSpec] = Field(default_factory=dict)
