"""Identifier and timestamp formats of the contract's DECISION notes.

Ids come from persistent counters passed through a bijection (multiplication by a
constant coprime to the id space), so they look random, never repeat, and survive a
restart together with the counters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

PAL_ID = re.compile(r"^p[0-9a-f]{11}$")
FACE_ID = re.compile(r"^r[0-9a-f]{11}$")
TOOL_ID = re.compile(r"^t[0-9a-z]{12}$")

_HEX_SPACE = 16**11
_ALNUM_SPACE = 36**12
_HEX_MULTIPLIER = 0x9E3779B97F4A7  # odd, hence coprime with 16**11
_ALNUM_MULTIPLIER = 0x9E3779B97F4A7C15 | 1  # odd and not a multiple of 3: coprime with 36**12
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
assert _ALNUM_MULTIPLIER % 3 != 0


def pal_id_for(counter: int) -> str:
    return "p" + format((counter * _HEX_MULTIPLIER + 0x5A17) % _HEX_SPACE, "011x")


def face_id_for(counter: int) -> str:
    return "r" + format((counter * _HEX_MULTIPLIER + 0xFACE) % _HEX_SPACE, "011x")


def tool_id_for(counter: int) -> str:
    n = (counter * _ALNUM_MULTIPLIER + 0x7001) % _ALNUM_SPACE
    digits = []
    for _ in range(12):
        n, r = divmod(n, 36)
        digits.append(_ALPHABET[r])
    return "t" + "".join(reversed(digits))


def hex_id_for(prefix: str, counter: int) -> str:
    """``prefix`` + 11 hex (guardrails ``g``, objective sets ``o``, conversations ``c``,
    documents ``d``: the contract's DECISIONs)."""
    return prefix + format((counter * _HEX_MULTIPLIER + ord(prefix)) % _HEX_SPACE, "011x")


def hex_id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{prefix}[0-9a-f]{{11}}$")


def now_timestamp() -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
