"""The Tavus-hosted model catalog: the shipped ``catalog.yaml``, merged with a project's own.

The catalog moves faster than palfleet's releases. A project keeps ``stacks/models.yaml`` in
the shipped format: an entry for a shipped model overrides the fields it names (mark a model
deprecated, give it a replacement), a new entry adds a model (it needs a ``status``), and
``default_model`` may change the default. Every model remembers which file set its status, so
findings can say where a status came from.

Which project file applies: the one :func:`use_project_catalog` named (the loader names
``<root>/models.yaml`` for the stacks it reads), else ``stacks/models.yaml`` under the working
directory (the Pulumi program and the provider run in the project directory).
"""

from __future__ import annotations

import difflib
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .findings import join_path
from .yaml_source import read_yaml

ModelStatus = Literal["recommended", "available", "deprecated", "retired"]
SHIPPED = "palfleet's catalog"
PROJECT_CATALOG_NAME = "models.yaml"
DEFAULT_PROJECT_CATALOG = Path("stacks") / PROJECT_CATALOG_NAME


class CatalogError(ValueError):
    """A catalog file is not valid; the message names the file and the fix."""


class ModelInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    status: ModelStatus
    replacement: str | None = None
    prompt_token_ceiling: int | None = None
    note: str | None = None
    speed: int | None = None
    intelligence: int | None = None
    naturalness: int | None = None
    best_for: str | None = None
    # Which file set this model's status: SHIPPED, or the project file's path.
    source: str = SHIPPED


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModelStatus | None = None
    replacement: str | None = None
    prompt_token_ceiling: int | None = Field(default=None, gt=0)
    note: str | None = None
    speed: int | None = Field(default=None, ge=1, le=3)
    intelligence: int | None = Field(default=None, ge=1, le=3)
    naturalness: int | None = Field(default=None, ge=1, le=3)
    best_for: str | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_model: str
    models: dict[str, ModelInfo]
    files: tuple[str, ...] = (SHIPPED,)


def _raw(text: str, source: str) -> dict[str, Any]:
    parsed = read_yaml(text)
    if parsed.problem is not None:
        line = f":{parsed.problem.line}" if parsed.problem.line else ""
        raise CatalogError(f"{source}{line}: {parsed.problem.message}")
    if parsed.duplicates:
        duplicate = parsed.duplicates[0]
        raise CatalogError(
            f"{source}:{duplicate.line}: {join_path(duplicate.path)} is given twice (first on "
            f"line {duplicate.first_line}); keep one"
        )
    raw = parsed.data
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not isinstance(raw.get("models", {}), dict):
        raise CatalogError(
            f"{source}: expected `models:` mapping model ids to their fields (and optionally "
            "`default_model:`)"
        )
    return raw


def merge_catalog(base: Catalog | None, text: str, source: str) -> Catalog:
    """``base`` with the entries of ``text`` (read from ``source``) merged in, field by field."""
    raw = _raw(text, source)
    models = dict(base.models) if base is not None else {}
    for name, body in (raw.get("models") or {}).items():
        try:
            entry = _Entry.model_validate(body or {})
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise CatalogError(
                f"{source}: models.{name}{'.' + where if where else ''}: {problem['msg']}"
            ) from None
        fields = entry.model_dump(exclude_unset=True)
        if name in models:
            update = {**fields, "source": source} if "status" in fields else fields
            models[name] = models[name].model_copy(update=update)
        elif entry.status is None:
            raise CatalogError(
                f"{source}: models.{name} is not in palfleet's catalog: give it a `status` "
                "(recommended, available, deprecated or retired)"
            )
        else:
            models[name] = ModelInfo(id=name, source=source, **fields)
    default = raw.get("default_model") or (base.default_model if base is not None else None)
    if not isinstance(default, str) or default not in models:
        raise CatalogError(f"{source}: default_model {default!r} is not a model of the catalog")
    for info in models.values():
        if info.replacement is not None and info.replacement not in models:
            raise CatalogError(
                f"{source}: the replacement {info.replacement!r} of {info.id} is not a model "
                "of the catalog; add it under `models:`"
            )
    files = (*base.files, source) if base is not None else (source,)
    return Catalog(default_model=default, models=models, files=files)


def parse_catalog(text: str) -> Catalog:
    return merge_catalog(None, text, SHIPPED)


_shipped: Catalog | None = None
_shipped_lock = threading.Lock()


def shipped_catalog() -> Catalog:
    # Parsed once per process: the provider server's four workers all ask on their first call.
    global _shipped
    with _shipped_lock:
        if _shipped is None:
            text = resources.files(__package__).joinpath("catalog.yaml").read_text("utf-8")
            _shipped = parse_catalog(text)
        return _shipped


_project_file: Path | None = None


def use_project_catalog(path: Path | None) -> None:
    """Name the project's catalog file (None: back to ``stacks/models.yaml`` in the cwd)."""
    global _project_file
    _project_file = path


def project_catalog_file() -> Path | None:
    """The project file that applies, when it exists."""
    path = _project_file if _project_file is not None else DEFAULT_PROJECT_CATALOG
    return path if path.is_file() else None


_merged_lock = threading.Lock()


def _merged(path: str, mtime_ns: int) -> Catalog:
    with _merged_lock:
        return _merged_cached(path, mtime_ns)


@lru_cache(maxsize=8)
def _merged_cached(path: str, mtime_ns: int) -> Catalog:
    return merge_catalog(shipped_catalog(), Path(path).read_text(encoding="utf-8"), path)


def load_catalog() -> Catalog:
    """The shipped catalog merged with the project's file; raises :class:`CatalogError`."""
    path = project_catalog_file()
    if path is None:
        return shipped_catalog()
    return _merged(str(path), path.stat().st_mtime_ns)


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


def status_origin(info: ModelInfo) -> str:
    """`` (per stacks/models.yaml)`` for a status a project set; empty for the shipped one."""
    return "" if info.source == SHIPPED else f" (per {info.source})"
