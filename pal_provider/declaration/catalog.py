"""The Tavus-hosted model catalog, read from `catalog.yaml` (package data)."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

ModelStatus = Literal["recommended", "available", "deprecated", "retired"]


class ModelInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    status: ModelStatus
    replacement: str | None = None
    prompt_token_ceiling: int | None = None
    note: str | None = None


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModelStatus
    replacement: str | None = None
    prompt_token_ceiling: int | None = Field(default=None, gt=0)
    note: str | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_model: str
    models: dict[str, ModelInfo]


def parse_catalog(text: str) -> Catalog:
    raw = YAML(typ="safe", pure=True).load(text)
    entries = {name: _Entry.model_validate(body) for name, body in raw["models"].items()}
    models = {name: ModelInfo(id=name, **entry.model_dump()) for name, entry in entries.items()}
    catalog = Catalog(default_model=raw["default_model"], models=models)
    if catalog.default_model not in models:
        raise ValueError(f"catalog default_model {catalog.default_model!r} is not in models")
    for info in models.values():
        if info.replacement is not None and info.replacement not in models:
            raise ValueError(f"catalog replacement {info.replacement!r} is not in models")
    return catalog


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    text = resources.files(__package__).joinpath("catalog.yaml").read_text(encoding="utf-8")
    return parse_catalog(text)


def lookup(model: str) -> ModelInfo | None:
    return load_catalog().models.get(model)


def default_model() -> ModelInfo:
    catalog = load_catalog()
    return catalog.models[catalog.default_model]


def suggest(model: str) -> str | None:
    """The closest usable (not retired) hosted model id, or None when nothing is close."""
    usable = [m.id for m in load_catalog().models.values() if m.status != "retired"]
    matches = difflib.get_close_matches(model, usable, n=1, cutoff=0.6)
    return matches[0] if matches else None
