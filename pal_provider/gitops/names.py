"""Logical names for exported objects: PAL names, face and endpoint bindings, secret keys."""

from __future__ import annotations

import re

LOGICAL_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


def slugify(text: str, *, fallback: str = "pal") -> str:
    """``"Wellness Coach!"`` -> ``wellness-coach``; always a valid PAL logical name."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"{fallback}-{slug}".strip("-")
    slug = slug[:62].rstrip("-")
    return slug if LOGICAL_NAME_RE.match(slug) else f"{fallback}-x"


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is free (then taken)."""
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"-{n}"
        name = base[: 62 - len(suffix)] + suffix
    taken.add(name)
    return name


def camel(*parts: str) -> str:
    """``camel("story-llm", "api key")`` -> ``storyLlmApiKey`` (a Pulumi config key name)."""
    words = [w for part in parts for w in re.split(r"[^A-Za-z0-9]+", part) if w]
    if not words:
        return "secret"
    head, *rest = words
    text = head[0].lower() + head[1:] + "".join(w[0].upper() + w[1:] for w in rest)
    return text if text[0].isalpha() else f"s{text}"
