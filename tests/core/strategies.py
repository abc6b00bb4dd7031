"""Hypothesis strategies: random JSON documents and realistic PAL documents, plus a model of
what the server stores for a declared PAL (the source of every would-be spurious diff)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from pal_provider.core import MASK

# Keys that stress RFC 6901 escaping: "/", "~", "~0", "~1", the empty key, non-ASCII.
KEYS = st.text(alphabet=st.sampled_from(["a", "b", "/", "~", "0", "1", " ", "é"]), max_size=4)

# Values Python's == confuses with each other, on purpose.
CONFUSABLE = st.sampled_from([0, 1, 0.0, 1.0, True, False, "1", None, "", 2, 2.5])

SCALARS = (
    CONFUSABLE
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)

JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=16,
)


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """A variant of ``doc`` sharing most of its structure (keys kept, dropped, changed, added)."""
    if isinstance(doc, dict) and draw(st.integers(0, 4)) > 0:
        out: dict[str, Any] = {}
        for key, value in doc.items():
            action = draw(st.sampled_from(["keep", "keep", "drop", "mutate", "replace"]))
            if action == "keep":
                out[key] = value
            elif action == "mutate":
                out[key] = draw(mutated(value))
            elif action == "replace":
                out[key] = draw(JSON)
        for key, value in draw(st.dictionaries(KEYS, JSON, max_size=2)).items():
            out.setdefault(key, value)
        return out
    if draw(st.integers(0, 2)) == 0:
        return draw(JSON)
    return doc


JSON_PAIRS = st.one_of(
    st.tuples(JSON, JSON),
    JSON.flatmap(lambda a: mutated(a).map(lambda b: (a, b))),
)

# --- PAL documents -------------------------------------------------------------------------

WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,!?\n", min_size=1, max_size=40)
IDS = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=3, max_size=8)
SECRETS = st.sampled_from(["sk-one", "sk-two", "sk/~three"])
FREEFORM_KEYS = st.text(alphabet="abXY-_/~.", min_size=1, max_size=6)
FREEFORM = st.dictionaries(
    FREEFORM_KEYS,
    st.recursive(
        CONFUSABLE | st.text(max_size=5),
        lambda c: st.dictionaries(FREEFORM_KEYS, c, max_size=2) | st.lists(c, max_size=2),
        max_leaves=4,
    ),
    min_size=1,
    max_size=3,
)

TOOL = st.builds(
    lambda name, description, props: {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props},
        },
    },
    st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
    WORDS,
    st.dictionaries(
        st.from_regex(r"[a-z]{1,5}", fullmatch=True),
        st.sampled_from([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]),
        max_size=2,
    ),
)

LEVELS = st.sampled_from(["low", "medium", "high"])

LLM = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["tavus-glm-4.7", "tavus-gpt-oss", "my-custom"]),
        "base_url": st.sampled_from(["https://llm.example.com/v1", "https://other.example/v2"]),
        "api_key": SECRETS,
        "speculative_inference": st.booleans(),
        "headers": FREEFORM,
        "extra_body": FREEFORM,
        "default_query": FREEFORM,
        "tools": st.lists(TOOL, min_size=1, max_size=4),
        "disable_vision": st.booleans(),
    },
)
TTS = st.fixed_dictionaries(
    {},
    optional={
        "tts_engine": st.sampled_from(["cartesia", "elevenlabs", "azure"]),
        "voice_id": IDS,
        "api_key": SECRETS,
        "voice_settings": FREEFORM,
        "pronunciation_dictionary_id": IDS,
        "tts_emotion_control": st.booleans(),
    },
)
STT = st.fixed_dictionaries(
    {},
    optional={
        "stt_engine": st.sampled_from(["tavus-advanced", "tavus-turbo"]),
        "participant_pause_sensitivity": LEVELS,
        "hotwords": WORDS,
    },
)
PERCEPTION = st.fixed_dictionaries(
    {},
    optional={
        "perception_model": st.sampled_from(["raven-1", "off"]),
        "visual_awareness_queries": st.lists(WORDS, min_size=1, max_size=3),
    },
)
FLOW = st.fixed_dictionaries(
    {},
    optional={
        "turn_detection_model": st.sampled_from(["sparrow-1", "sparrow-0"]),
        "turn_taking_patience": LEVELS,
        "face_interruptibility": LEVELS,
        "voice_isolation": st.sampled_from(["off", "near"]),
    },
)
CONFERENCING = st.fixed_dictionaries(
    {"username": st.from_regex(r"[A-Za-z][A-Za-z0-9]{1,6}", fullmatch=True)},
    optional={
        "allowlist": st.lists(
            st.sampled_from(["a@x.com", "*@y.org", "b@x.com"]), min_size=1, max_size=3, unique=True
        )
    },
)
LAYERS = st.fixed_dictionaries(
    {},
    optional={
        "llm": LLM,
        "tts": TTS,
        "stt": STT,
        "perception": PERCEPTION,
        "conversational_flow": FLOW,
        "conferencing": CONFERENCING,
    },
)

DECLARED_PAL = st.fixed_dictionaries(
    {"pal_name": WORDS, "default_face_id": IDS},
    optional={
        "system_prompt": st.text(min_size=1, max_size=400),
        "pipeline_mode": st.sampled_from(["full", "echo", "speech-to-speech"]),
        "context": WORDS,
        "greeting": WORDS,
        "document_tags": st.lists(
            st.sampled_from(["faq", "sales", "docs"]), min_size=1, max_size=3, unique=True
        ),
        "memories": st.lists(IDS, min_size=1, max_size=2),
        "is_template": st.booleans(),
        "layers": LAYERS,
    },
)


SERVER_VOICE_KEY = "pronunciation_dictionary_locators"


@st.composite
def stored_by_server(draw: st.DrawFn, declared: dict[str, Any]) -> dict[str, Any]:
    """What GET returns after ``POST /pals`` of ``declared``: server-owned fields, filled
    defaults, masked secrets, server-written voice_settings, echoed empties, and (sometimes)
    legacy spellings the API layer failed to normalize."""
    import copy

    live: dict[str, Any] = copy.deepcopy(declared)
    live.update(
        pal_id="p" + draw(st.from_regex(r"[0-9a-f]{11}", fullmatch=True)),
        created_at="2025-01-01T00:00:00.000000Z",
        updated_at="2025-01-01T00:00:00.000000Z",
        owner_id="u1",
        pal_type="user",
        is_system=False,
    )
    live.setdefault("pipeline_mode", "full")
    live.setdefault("context", "")
    live.setdefault("document_ids", [])
    live.setdefault("is_template", False)
    layers = live.setdefault("layers", {})
    if live["pipeline_mode"] == "full":
        llm = layers.setdefault("llm", {})
        llm.setdefault("model", "tavus-glm-4.7")
        llm.setdefault("speculative_inference", True)
    for layer in layers.values():
        if "api_key" in layer:
            layer["api_key"] = MASK
    if "tts" in layers:
        layers["tts"].setdefault("tts_engine", "cartesia")
        if "pronunciation_dictionary_id" in layers["tts"]:
            settings = layers["tts"].setdefault("voice_settings", {})
            settings[SERVER_VOICE_KEY] = [{"id": "srv-1", "version": 3}]
    layers.setdefault("stt", {"stt_engine": "tavus-advanced"})
    if draw(st.booleans()):
        layers.setdefault("perception", {"perception_model": "raven-1"})
    flow = layers.get("conversational_flow")
    if flow:
        flow.setdefault("turn_detection_model", "sparrow-1")
        flow.setdefault("turn_taking_patience", "medium")
        flow.setdefault("face_interruptibility", "medium")
        flow.setdefault("voice_isolation", "near")
        older = draw(st.sampled_from([None, "pal_interruptibility", "replica_interruptibility"]))
        if older is not None:
            flow[older] = flow.pop("face_interruptibility")
    if "conferencing" in layers:
        layers["conferencing"]["username"] = layers["conferencing"]["username"].lower()
        live["conferencing_email"] = layers["conferencing"]["username"] + "@tavusinvite.com"
        if "allowlist" in layers["conferencing"]:
            layers["conferencing"]["allowlist"] = sorted(
                layers["conferencing"]["allowlist"], reverse=True
            )
    if draw(st.booleans()):
        live["persona_name"] = live.pop("pal_name")
    live["unknown_server_field"] = {"kept": True}
    return live


def secret_values(doc: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """The api_key values of a declared PAL, by path."""
    out: dict[tuple[str, ...], Any] = {}
    for name, layer in (doc.get("layers") or {}).items():
        if isinstance(layer, dict) and "api_key" in layer:
            out[("layers", name, "api_key")] = layer["api_key"]
    return out
