"""The one redaction helper of the API client.

Everything the client writes where a human or a log collector can read it (exception messages,
reprs, log records, excerpts of server bodies) goes through :func:`redact`. It masks

* values stored under secret-looking keys (``api_key``, ``token``, ``password``, ``secret``,
  ``client_secret``, ``authorization``, ``x-api-key`` ...), and ``value`` inside an ``auth``
  object (the tools registry's ``api_key`` auth keeps its secret there);
* every known secret string (the Tavus API key, secret leaves of the request body) wherever it
  appears inside text, so a server that echoes a secret in an error message cannot leak it;
* long text, which is truncated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pal_provider.core.jsonvalue import from_pointer
from pal_provider.core.masking import MASK as SERVER_MASK

MASK = "[REDACTED]"
MAX_TEXT = 500
# Shorter "secrets" are not replaced inside text: masking every occurrence of a two-letter
# string would garble messages without protecting anything worth protecting.
MIN_SECRET_LEN = 4

_SECRET_NAMES = frozenset(
    {"apikey", "xapikey", "token", "password", "secret", "clientsecret", "authorization"}
)
_SECRET_SUFFIXES = ("apikey", "secret", "token", "password")


def _normalize_key(key: str) -> str:
    return re.sub(r"[-_\s]", "", key.lower())


def is_secret_key(key: str, *, parent: str | None = None) -> bool:
    """True when a value stored under ``key`` (inside ``parent``) must never be shown."""
    name = _normalize_key(key)
    if name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES):
        return True
    return name == "value" and parent is not None and _normalize_key(parent) == "auth"


def is_secret_pointer(pointer: str) -> bool:
    """True when an RFC 6901 pointer (a JSON Patch ``path``) addresses a secret leaf."""
    try:
        tokens = list(from_pointer(pointer))
    except ValueError:
        return False
    if not tokens:
        return False
    parent = tokens[-2] if len(tokens) > 1 else None
    return is_secret_key(tokens[-1], parent=parent)


def fingerprint(secret: str) -> str:
    """A short, non-reversible identifier of a secret (lets a human tell two keys apart)."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def secret_values(obj: Any, *, parent: str | None = None) -> Iterator[str]:
    """Every string stored under a secret key in a JSON-like value, or set by a JSON Patch op."""
    if isinstance(obj, Mapping):
        if isinstance(obj.get("op"), str) and isinstance(obj.get("path"), str):
            value = obj.get("value")
            if is_secret_pointer(obj["path"]) and isinstance(value, str):
                yield value
        for key, value in obj.items():
            key_s = str(key)
            if is_secret_key(key_s, parent=parent) and isinstance(value, str):
                yield value
            else:
                yield from secret_values(value, parent=key_s)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from secret_values(item, parent=parent)


def _mask_text(text: str, secrets: Iterable[str], limit: int | None) -> str:
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_LEN}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters]"
    return text


def _mask(obj: Any, secrets: tuple[str, ...], parent: str | None) -> Any:
    if isinstance(obj, str):
        return _mask_text(obj, secrets, None)
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        is_patch_op = isinstance(obj.get("op"), str) and isinstance(obj.get("path"), str)
        for key, value in obj.items():
            key_s = str(key)
            secret_here = is_secret_key(key_s, parent=parent) or (
                is_patch_op and key_s == "value" and is_secret_pointer(obj["path"])
            )
            if secret_here and value not in (None, "", SERVER_MASK):
                out[key_s] = MASK
            else:
                out[key_s] = _mask(value, secrets, key_s)
        return out
    if isinstance(obj, list | tuple):
        return [_mask(item, secrets, parent) for item in obj]
    return obj


def redact(obj: Any, *, secrets: Iterable[str] = (), limit: int | None = MAX_TEXT) -> Any:
    """Return a copy of ``obj`` that is safe to show.

    ``obj`` may be text or a JSON-like value (mappings, lists, scalars). ``secrets`` are strings
    to mask wherever they appear (the API key, secret values of the request). Text, including
    the JSON rendering a caller may make of the result, is truncated to ``limit`` characters
    when ``obj`` is a string.
    """
    known = tuple(secrets)
    if isinstance(obj, str):
        return _mask_text(obj, known, limit)
    return _mask(obj, known, None)
