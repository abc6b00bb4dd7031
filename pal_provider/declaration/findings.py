"""What validation reports: one `Finding` per problem, naming where it is and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]

PathPart = str | int


def join_path(parts: Sequence[PathPart]) -> str:
    """`("pals", "coach", "layers", "llm", "tools", 0)` -> `pals.coach.layers.llm.tools[0]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text


def extend_path(base: str, *parts: PathPart) -> str:
    tail = join_path(parts)
    if not base:
        return tail
    if not tail:
        return base
    return base + tail if tail.startswith("[") else f"{base}.{tail}"


class Finding(BaseModel):
    """One validation problem. Messages never carry secret values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stack: str | None
    pal: str | None
    path: str
    severity: Severity
    message: str
    fix: str
    file: str | None = None
    line: int | None = None

    def render(self, *, severity: bool = True) -> str:
        """One line; ``severity=False`` leaves the ERROR/WARNING word to a caller that
        prints its own (``pulumi.log.warn`` does)."""
        where = self.file or (f"stack {self.stack}" if self.stack else "")
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        who = f" [pal {self.pal}]" if self.pal else ""
        field = self.path or "(file)"
        prefix = f"{self.severity.upper()} " if severity else ""
        text = f"{prefix}{where}{who} {field}: {self.message}"
        return f"{text} -- fix: {self.fix}" if self.fix else text


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]


class Report:
    """Collects findings for one stack (and optionally one PAL) under a base path."""

    def __init__(self, stack: str | None, base: str = "", pal: str | None = None) -> None:
        self.stack = stack
        self.base = base
        self.pal = pal
        self.findings: list[Finding] = []

    def child(self, *parts: PathPart, pal: str | None = None) -> Report:
        sub = Report(self.stack, extend_path(self.base, *parts), pal or self.pal)
        sub.findings = self.findings
        return sub

    def add(self, severity: Severity, path: Sequence[PathPart], message: str, fix: str) -> None:
        self.findings.append(
            Finding(
                stack=self.stack,
                pal=self.pal,
                path=extend_path(self.base, *path),
                severity=severity,
                message=message,
                fix=fix,
            )
        )

    def error(self, path: Sequence[PathPart], message: str, fix: str) -> None:
        self.add("error", path, message, fix)

    def warning(self, path: Sequence[PathPart], message: str, fix: str) -> None:
        self.add("warning", path, message, fix)


CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"}
)
_CREDENTIAL_WORDS = ("token", "secret", "password", "passwd", "credential", "signature")
_CREDENTIAL_QUERY_KEYS = frozenset(
    {"key", "apikey", "api-key", "api_key", "token", "sig", "signature", "code", "auth", "pwd"}
)


def is_credential_header(name: str) -> bool:
    """``Authorization``, ``Ocp-Apim-Subscription-Key``, any ``*-Key``, ``*Token*``,
    ``*Secret*`` ...: a header that carries a credential."""
    lowered = name.lower()
    return (
        lowered in CREDENTIAL_HEADERS
        or lowered.endswith(("-key", "_key", "apikey"))
        or any(word in lowered for word in _CREDENTIAL_WORDS)
    )


def is_credential_query_key(name: str) -> bool:
    """``key``, ``api_key``, ``token``, ``sig``, ``code`` ...: a query parameter that carries
    a credential (Azure's ``api-version`` does not)."""
    lowered = name.lower()
    return (
        lowered in _CREDENTIAL_QUERY_KEYS
        or lowered.endswith(("_key", "-key", "apikey"))
        or any(word in lowered for word in _CREDENTIAL_WORDS)
    )


def check_credential_headers(
    report: Report, headers: dict[str, str] | None, path: Sequence[PathPart], fix: str
) -> None:
    """Headers are plain strings in Git: a credential header would be a literal secret."""
    for name in headers or {}:
        if is_credential_header(name):
            report.error(
                [*path, name],
                f"header {name!r} would carry a credential in plain text",
                fix,
            )


def check_credential_query(
    report: Report, query: dict[str, Any] | None, path: Sequence[PathPart], fix: str
) -> None:
    """Query parameters are plain strings in Git (and in every access log on the way)."""
    for name in query or {}:
        if is_credential_query_key(str(name)):
            report.error(
                [*path, name],
                f"query parameter {name!r} would carry a credential in plain text",
                fix,
            )
