"""Where secrets live in PAL and tool documents, and how to hide them.

The API never returns a secret: it echoes ``MASK`` instead. Nothing in this package may put a
secret value in a rendering, a repr or a log line; these helpers are the single place that
knows which leaves are secret.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Final

from pal_provider.core.jsonvalue import Json, Path, from_pointer, to_pointer

MASK: Final = "********"
"""What the API echoes in place of a stored secret."""

SECRET_PATHS: Final[frozenset[Path]] = frozenset(
    {
        ("layers", "llm", "api_key"),
        ("layers", "tts", "api_key"),
    }
)
"""Secret leaves of a PAL document."""

TOOL_AUTH_SECRET_KEYS: Final[frozenset[str]] = frozenset(
    {"token", "password", "value", "secret", "client_secret"}
)
"""Secret keys of a tool's ``auth`` object (``delivery.api.auth.token`` ...)."""

_SECRET_LAST_KEYS: Final[frozenset[str]] = frozenset(
    {str(path[-1]) for path in SECRET_PATHS} | TOOL_AUTH_SECRET_KEYS
)

SECRET_REF_KEY: Final = "$secret"
"""Marker object ``{"$secret": "<config key>"}`` left by the declaration for unresolved secrets."""


def secret_ref(config_key: str) -> dict[str, str]:
    """The marker for the secret held by Pulumi config key ``config_key``."""
    return {SECRET_REF_KEY: config_key}


def secret_refs(document: Json) -> dict[str, str]:
    """Every secret marker in ``document``: RFC 6901 pointer -> the config key it names."""
    found: dict[str, str] = {}

    def walk(node: Json, path: Path) -> None:
        if is_secret_ref(node):
            assert isinstance(node, Mapping)
            found[to_pointer(path)] = str(node[SECRET_REF_KEY])
        elif isinstance(node, Mapping):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, index))

    walk(document, ())
    return found


def replace_secret_refs(document: Json, value_for: Callable[[str, str], Json]) -> Json:
    """A copy of ``document`` with each marker replaced by ``value_for(pointer, config key)``."""

    def walk(node: Json, path: Path) -> Json:
        if is_secret_ref(node):
            assert isinstance(node, Mapping)
            return value_for(to_pointer(path), str(node[SECRET_REF_KEY]))
        if isinstance(node, Mapping):
            return {key: walk(child, (*path, key)) for key, child in node.items()}
        if isinstance(node, list):
            return [walk(child, (*path, index)) for index, child in enumerate(node)]
        return node

    return walk(document, ())


def is_secret_path(path: Path) -> bool:
    """True for a secret leaf: a PAL api_key, or a secret key of any ``auth`` object."""
    if path in SECRET_PATHS:
        return True
    return len(path) >= 2 and path[-2] == "auth" and path[-1] in TOOL_AUTH_SECRET_KEYS


def secret_prefix(path: Path) -> Path | None:
    """The shortest prefix of ``path`` that is a secret leaf, if any."""
    for end in range(1, len(path) + 1):
        if is_secret_path(path[:end]):
            return path[:end]
    return None


def contains_secret(value: Json, path: Path) -> bool:
    """True when ``value`` (found at ``path``) is, or contains, a secret leaf."""
    return secret_prefix(path) is not None or _has_secret_below(value, path)


def _has_secret_below(value: Json, path: Path) -> bool:
    # Hot on large values (50 inline tools): cheap exact-type checks before the ABC ones.
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        for key, item in value.items():
            if key in _SECRET_LAST_KEYS and is_secret_path((*path, key)):
                return True
            item_kind = type(item)
            if (item_kind is dict or item_kind is list or isinstance(item, Mapping)) and (
                _has_secret_below(item, (*path, key))
            ):
                return True
    elif kind is list:
        # Array items are addressed by the array's path: secrets are found by their last keys.
        return any(_has_secret_below(item, path) for item in value)
    return False


def redact(value: Json, path: Path, placeholder: str = MASK) -> Json:
    """A copy of ``value`` (found at ``path``) with every secret leaf replaced by ``placeholder``."""
    if secret_prefix(path) is not None:
        return placeholder
    if isinstance(value, Mapping):
        return {key: redact(item, (*path, key), placeholder) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, path, placeholder) for item in value]
    return value


def is_secret_ref(value: Json) -> bool:
    """True for an unresolved ``{"$secret": "..."}`` marker."""
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and isinstance(value.get(SECRET_REF_KEY), str)
    )


def find_unsendable(value: Json, path: Path) -> tuple[Path, str] | None:
    """The first place in ``value`` (found at ``path``) that must never be sent to the API:
    a masked secret leaf or an unresolved ``{"$secret": ...}`` reference, with the reason."""
    if secret_prefix(path) is not None and value == MASK:
        return path, "masked ('********')"
    return _find_unsendable_below(value, path)


def _find_unsendable_below(value: Json, path: Path) -> tuple[Path, str] | None:
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        if SECRET_REF_KEY in value:
            return path, "an unresolved secret reference"
        for key, item in value.items():
            if item == MASK and key in _SECRET_LAST_KEYS and is_secret_path((*path, key)):
                return (*path, key), "masked ('********')"
            item_kind = type(item)
            if item_kind is dict or item_kind is list or isinstance(item, Mapping):
                found = _find_unsendable_below(item, (*path, key))
                if found is not None:
                    return found
    elif kind is list:
        for item in value:
            found = _find_unsendable_below(item, path)
            if found is not None:
                return found
    return None


def normalize_paths(paths: Collection[Path | str]) -> frozenset[Path]:
    """Accept tuples, RFC 6901 pointers (``/layers/llm/api_key``) or dotted paths."""
    out: set[Path] = set()
    for path in paths:
        if isinstance(path, str):
            out.add(from_pointer(path) if path.startswith("/") else tuple(path.split(".")))
        else:
            out.add(tuple(path))
    return frozenset(out)
