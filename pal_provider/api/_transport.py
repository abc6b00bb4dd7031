"""Where the API key may be sent: https, or plain http to a loopback host only.

Its own module, without httpx, so that the provider's Check can refuse an insecure URL before
anything loads the HTTP client; :mod:`pal_provider.api._http` enforces it on every request.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``), ``127.0.0.0/8`` and ``::1``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_transport(base_url: str) -> str | None:
    """Why the API key must not be sent to ``base_url``, or None when it may: every request
    carries the key, so the scheme is https unless the host is loopback."""
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return f"the API base URL {base_url!r} is not a URL"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return None
    if parts.scheme == "http":
        return (
            f"refusing to send the Tavus API key over plain http to {parts.hostname}: use "
            f"https://{parts.netloc}{parts.path} (http is allowed only for a loopback host: "
            "127.0.0.0/8, ::1, localhost)"
        )
    return (
        f"the API base URL must start with https:// (got {base_url!r}), "
        "e.g. https://tavusapi.com/v2"
    )
