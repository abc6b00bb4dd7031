"""The emulator's catalog of models and enums, loaded from ``catalog.json`` (data, not code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Catalog:
    llm_default_model: str
    llm_hosted_models: frozenset[str]
    llm_deprecated_models: frozenset[str]
    llm_retired_models: frozenset[str]
    llm_hosted_extra_body_keys: frozenset[str]
    tts_engines: tuple[str, ...]
    stt_engines: tuple[str, ...]
    sensitivities: tuple[str, ...]
    perception_models: tuple[str, ...]
    turn_detection_models: tuple[str, ...]
    levels: tuple[str, ...]
    voice_isolation: tuple[str, ...]
    conversational_flow_defaults: dict[str, str]

    def is_hosted(self, model: str) -> bool:
        return model in self.llm_hosted_models or model in self.llm_deprecated_models


@cache
def load_catalog() -> Catalog:
    raw = json.loads((Path(__file__).with_name("catalog.json")).read_text(encoding="utf-8"))
    return Catalog(
        llm_default_model=raw["llm_default_model"],
        llm_hosted_models=frozenset(raw["llm_hosted_models"]),
        llm_deprecated_models=frozenset(raw["llm_deprecated_models"]),
        llm_retired_models=frozenset(raw["llm_retired_models"]),
        llm_hosted_extra_body_keys=frozenset(raw["llm_hosted_extra_body_keys"]),
        tts_engines=tuple(raw["tts_engines"]),
        stt_engines=tuple(raw["stt_engines"]),
        sensitivities=tuple(raw["sensitivities"]),
        perception_models=tuple(raw["perception_models"]),
        turn_detection_models=tuple(raw["turn_detection_models"]),
        levels=tuple(raw["levels"]),
        voice_isolation=tuple(raw["voice_isolation"]),
        conversational_flow_defaults=dict(raw["conversational_flow_defaults"]),
    )
