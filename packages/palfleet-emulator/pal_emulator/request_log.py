"""The request log of API calls (control endpoints are not recorded)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_ENTRIES = 200_000

_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/v2/(pals|personas)/[^/]+/tools/[^/]+$"), r"/v2/\1/{id}/tools/{tool_id}"),
    (re.compile(r"^/v2/(pals|personas)/[^/]+/tools$"), r"/v2/\1/{id}/tools"),
    (re.compile(r"^/v2/(pals|personas)/[^/]+$"), r"/v2/\1/{id}"),
    (re.compile(r"^/v2/tools/[^/]+$"), "/v2/tools/{id}"),
    (re.compile(r"^/v2/guardrails/(?!tags$)[^/]+$"), "/v2/guardrails/{id}"),
    (re.compile(r"^/v2/objectives/(?!validate$)[^/]+$"), "/v2/objectives/{id}"),
    (re.compile(r"^/v2/conversations/[^/]+/end$"), "/v2/conversations/{id}/end"),
    (re.compile(r"^/v2/conversations/[^/]+$"), "/v2/conversations/{id}"),
    (re.compile(r"^/v2/(faces|replicas|documents)/[^/]+$"), r"/v2/\1/{id}"),
]


def path_template(path: str) -> str:
    """``/v2/pals/p123/tools`` -> ``/v2/pals/{id}/tools``; collection paths stay as they are."""
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return pattern.sub(template, path)
    return path


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    path_template: str
    status: int
    duration_ms: float
    at: float
    fault: str | None = None


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=MAX_ENTRIES)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(
        self, method: str, path: str, status: int, duration_ms: float, fault: str | None = None
    ) -> None:
        entry = LoggedRequest(
            method, path, path_template(path), status, round(duration_ms, 3), time.time(), fault
        )
        with self._lock:
            self._entries.append(entry)
            self._counts[f"{method} {entry.path_template}"] += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._counts.values()),
                "counts": dict(self._counts),
                "entries": [asdict(e) for e in self._entries],
            }
