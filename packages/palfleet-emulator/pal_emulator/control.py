"""``EmulatorControl``: a small httpx client of the emulator's ``/_emulator`` controls,
shared by the test fixtures, the benchmark and the demo."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class RequestEntry:
    method: str
    path: str
    path_template: str
    status: int
    duration_ms: float
    fault: str | None = None


@dataclass(frozen=True)
class RequestLog:
    """A snapshot of ``GET /_emulator/requests``."""

    entries: list[RequestEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, method: str = "*", path_template: str = "*") -> int:
        """Requests recorded for ``method`` ("*" for any) and ``path_template``
        (e.g. ``/v2/pals/{id}``; "*" for any)."""
        total = 0
        for key, n in self.counts.items():
            m, _, template = key.partition(" ")
            if method != "*" and method.upper() != m:
                continue
            if path_template not in ("*", template):
                continue
            total += n
        return total

    def writes(self) -> list[RequestEntry]:
        return [e for e in self.entries if e.method in WRITE_METHODS]

    def reads(self) -> list[RequestEntry]:
        return [e for e in self.entries if e.method not in WRITE_METHODS]

    def by_template(self) -> Counter[str]:
        return Counter(f"{e.method} {e.path_template}" for e in self.entries)


class EmulatorError(RuntimeError):
    """A control call failed; the message carries the emulator's answer."""


class EmulatorControl:
    """Client of ``/_emulator`` on ``root_url`` (``http://127.0.0.1:PORT``, no ``/v2``)."""

    def __init__(self, root_url: str, *, timeout: float = 30.0) -> None:
        self.root_url = root_url.rstrip("/")
        self._http = httpx.Client(base_url=self.root_url + "/_emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http.request(method, path, json=json)
        if response.status_code >= 400:
            raise EmulatorError(
                f"{method} /_emulator{path}: {response.status_code} {response.text}"
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def health(self) -> bool:
        try:
            return self._http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def reset(self, *, seed: bool = True, faults: bool = True, requests: bool = True) -> None:
        """Wipe state (re-seeding stock PALs and faces unless ``seed=False``), and by
        default also clear fault rules and the request log."""
        self._call("POST", "/reset", {"seed": seed, "faults": faults, "requests": requests})

    def seed(
        self,
        pals: list[dict[str, Any]] | None = None,
        tools: list[dict[str, Any]] | None = None,
        faces: list[dict[str, Any]] | None = None,
        *,
        documents: list[dict[str, Any]] | None = None,
        validate: bool = True,
    ) -> dict[str, list[str]]:
        """Bulk insert; returns ``{"pals": [ids], "tools": [ids], "faces": [ids],
        "documents": [ids]}``. Documents are seeded before the PALs that refer to them."""
        body = {
            "pals": pals or [],
            "tools": tools or [],
            "faces": faces or [],
            "documents": documents or [],
            "validate": validate,
        }
        result: dict[str, list[str]] = self._call("POST", "/seed", body)
        return result

    def faces(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/faces")["data"]
        return data

    def add_fault(
        self,
        method: str = "*",
        path: str = "*",
        status: int | None = None,
        retry_after: float | None = None,
        latency_ms: float | None = None,
        drop: Literal["before", "after"] | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        *,
        path_regex: str | None = None,
        body: str | None = None,
    ) -> str:
        """Add a rule and return its id. ``path`` is a glob over the request path."""
        spec = {
            "method": method,
            "path": path,
            "path_regex": path_regex,
            "status": status,
            "retry_after": retry_after,
            "latency_ms": latency_ms,
            "drop": drop,
            "body": body,
            "times": times,
            "probability": probability,
            "seed": seed,
        }
        rule_id: str = self._call("POST", "/faults", spec)["id"]
        return rule_id

    def faults(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._call("GET", "/faults")["data"]
        return data

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_maker_draft(self, pal_id: str, changes: dict[str, Any] | None = None) -> None:
        self._call("POST", f"/pals/{pal_id}/maker-draft", {"changes": changes or {}})

    def clear_maker_draft(self, pal_id: str) -> None:
        self._call("DELETE", f"/pals/{pal_id}/maker-draft")

    def edit_pal(self, pal_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Out-of-band edit (RFC 7386 merge patch, no API rules); returns the PAL as GET shows it."""
        result: dict[str, Any] = self._call("PATCH", f"/pals/{pal_id}", changes)
        return result

    def delete_pal(self, pal_id: str) -> None:
        """Out-of-band delete (works on system PALs too)."""
        self._call("DELETE", f"/pals/{pal_id}")

    def requests(self) -> RequestLog:
        raw = self._call("GET", "/requests")
        entries = [
            RequestEntry(
                method=e["method"],
                path=e["path"],
                path_template=e["path_template"],
                status=e["status"],
                duration_ms=e["duration_ms"],
                fault=e.get("fault"),
            )
            for e in raw["entries"]
        ]
        return RequestLog(entries=entries, counts=dict(raw["counts"]))

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
