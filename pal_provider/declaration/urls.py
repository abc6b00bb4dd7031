"""URL rules for custom LLM endpoints, tool delivery URLs and the API base URL."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from pal_provider.api import is_loopback_host

_ROUTE_SUFFIXES = ("/v1/chat/completions", "/chat/completions", "/completions")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class UrlProblem:
    message: str
    fix: str


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts


def _is_private_host(host: str) -> bool:
    if is_loopback_host(host):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_unspecified


def _common(
    url: str, what: str, allow_loopback_http: bool
) -> tuple[SplitResult | None, list[UrlProblem]]:
    if url != url.strip():
        return None, [UrlProblem(f"{what} has spaces around it", f"write {url.strip()!r}")]
    parts = _split(url)
    if parts is None:
        return None, [UrlProblem(f"{what} is not an absolute URL", "write https://host/path")]
    problems: list[UrlProblem] = []
    if parts.username or parts.password:
        problems.append(
            UrlProblem(
                f"{what} carries credentials",
                "remove user:password@ from the URL; put the key in a secret reference",
            )
        )
    host = parts.hostname or ""
    if parts.scheme == "http" and not (allow_loopback_http and is_loopback_host(host)):
        allowed = (
            " (http is only allowed for 127.0.0.1, localhost, ::1)" if allow_loopback_http else ""
        )
        problems.append(UrlProblem(f"{what} must use https{allowed}", "use an https:// URL"))
    elif parts.scheme not in ("http", "https"):
        problems.append(UrlProblem(f"{what} has scheme {parts.scheme!r}", "use an https:// URL"))
    return parts, problems


def custom_llm_base_url_problems(url: str) -> list[UrlProblem]:
    parts, problems = _common(url, "base_url", allow_loopback_http=True)
    if parts is None:
        return problems
    path = parts.path.rstrip("/")
    route = next((r for r in _ROUTE_SUFFIXES if path.endswith(r)), None)
    if route is not None:
        problems.append(
            UrlProblem(
                f"base_url ends with the route {route!r}",
                f"drop {route!r}: Tavus appends /chat/completions itself",
            )
        )
    if parts.query or parts.fragment:
        problems.append(
            UrlProblem(
                "base_url has a query string",
                "move query parameters to layers.llm.default_query (e.g. api-version)",
            )
        )
    return problems


def tool_api_url_problems(url: str) -> list[UrlProblem]:
    concrete = _PLACEHOLDER.sub("x", url)
    parts, problems = _common(concrete, "delivery.api.url", allow_loopback_http=False)
    if parts is None:
        return problems
    if _is_private_host(parts.hostname or ""):
        problems.append(
            UrlProblem(
                "delivery.api.url points at a private or loopback host",
                "use a publicly reachable https host (the API rejects private addresses)",
            )
        )
    return problems


def https_url_problems(url: str, what: str) -> list[UrlProblem]:
    return _common(url, what, allow_loopback_http=False)[1]


def api_base_url_problems(url: str) -> list[UrlProblem]:
    parts, problems = _common(url, "api_base_url", allow_loopback_http=True)
    if parts is not None and (parts.query or parts.fragment):
        problems.append(UrlProblem("api_base_url has a query string", "remove it"))
    if parts is not None and not problems and not parts.path.rstrip("/").endswith("/v2"):
        problems.append(
            UrlProblem(
                "api_base_url does not end with the API version /v2",
                f"write {parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/v2",
            )
        )
    return problems
