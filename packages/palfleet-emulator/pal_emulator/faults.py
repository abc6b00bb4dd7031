"""Fault injection rules: latency, error statuses, 429 with Retry-After, connection drops."""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DropMode = Literal["before", "after"]


class FaultSpec(BaseModel):
    """One rule as posted to ``POST /_emulator/faults``."""

    model_config = ConfigDict(extra="forbid")

    method: str = "*"
    path: str = Field("*", description="glob over the request path, e.g. /v2/pals/*")
    path_regex: str | None = Field(
        None, description="regular expression (search) instead of the glob"
    )
    status: int | None = Field(None, ge=400, le=599)
    retry_after: float | None = Field(None, ge=0)
    latency_ms: float | None = Field(None, ge=0, le=120_000)
    drop: DropMode | None = None
    body: str | None = Field(None, description="raw text body instead of the JSON error body")
    times: int | None = Field(None, ge=1)
    probability: float | None = Field(None, ge=0, le=1)
    seed: int | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> FaultSpec:
        if (
            self.status is None
            and self.retry_after is None
            and self.latency_ms is None
            and self.drop is None
        ):
            raise ValueError("a fault needs at least one of status, retry_after, latency_ms, drop")
        if self.drop is not None and (self.status is not None or self.retry_after is not None):
            raise ValueError("drop cannot be combined with status or retry_after")
        if self.path_regex is not None:
            re.compile(self.path_regex)
        return self


@dataclass
class FaultRule:
    id: str
    spec: FaultSpec
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def matches(self, method: str, path: str) -> bool:
        if self.spec.method != "*" and self.spec.method.upper() != method.upper():
            return False
        if self.spec.path_regex is not None:
            return re.search(self.spec.path_regex, path) is not None
        return fnmatch.fnmatchcase(path, self.spec.path)

    @property
    def exhausted(self) -> bool:
        return self.spec.times is not None and self.fired >= self.spec.times

    def fire(self) -> bool:
        if self.exhausted:
            return False
        if self.spec.probability is not None and self.rng.random() >= self.spec.probability:
            return False
        self.fired += 1
        return True

    @property
    def has_action(self) -> bool:
        s = self.spec
        return s.status is not None or s.retry_after is not None or s.drop is not None

    def describe(self) -> dict[str, Any]:
        remaining = None if self.spec.times is None else self.spec.times - self.fired
        return {
            "id": self.id,
            **self.spec.model_dump(),
            "fired": self.fired,
            "remaining": remaining,
        }


@dataclass(frozen=True)
class FaultDecision:
    latency_ms: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    drop: DropMode | None = None
    body: str | None = None


class FaultBook:
    """The active rules, evaluated in insertion order for every API request."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> str:
        with self._lock:
            rule_id = f"fault-{next(self._ids)}"
            self._rules.append(FaultRule(rule_id, spec, rng=random.Random(spec.seed)))
            return rule_id

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.describe() for r in self._rules]

    def decide(self, method: str, path: str) -> FaultDecision | None:
        """Latency of every firing rule adds up; the first firing error or drop wins."""
        latency = 0.0
        action: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if action is not None and rule.spec.latency_ms is None:
                    continue
                if not rule.fire():
                    continue
                latency += rule.spec.latency_ms or 0.0
                if action is None and rule.has_action:
                    action = rule
        if action is None and latency == 0.0:
            return None
        if action is None:
            return FaultDecision(latency_ms=latency)
        spec = action.spec
        status = (
            spec.status
            if spec.status is not None
            else (429 if spec.retry_after is not None else None)
        )
        return FaultDecision(latency, status, spec.retry_after, spec.drop, spec.body)
