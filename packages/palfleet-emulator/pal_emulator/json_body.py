"""Request bodies: read within a deadline, and strict JSON (RFC 8259).

No ``NaN``, no ``Infinity``, no number that does not fit a double, no nesting deeper than
``MAX_DEPTH``: anything else is refused with a 400 before it can reach the store (a stored
``NaN`` would make every later read a 500). A body that stops arriving (shorter than its
``content-length``) is a 408 after ``BODY_TIMEOUT`` seconds instead of a request that hangs
forever; a client that goes away mid-body ends its request quietly.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .errors import ApiError

BODY_TIMEOUT = float(os.environ.get("PAL_EMULATOR_BODY_TIMEOUT", "10"))
# Far deeper than any PAL or tool document; deep enough input would otherwise exhaust the
# recursion of whatever handles it next (validation, copies, the store's encoder).
MAX_DEPTH = 64


class NotJson(ValueError):
    """The body is not strict JSON; the message says why."""


def _no_constants(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJson(f"the number {text[:40]} is out of range")
    return value


def parse_json_body(raw: bytes) -> Any:
    """The parsed body (None when empty); raises :class:`NotJson`."""
    if not raw:
        return None
    try:
        value = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
    except NotJson:
        raise
    except RecursionError:
        raise NotJson("the body is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise NotJson(f"the request body is not valid JSON ({error})") from None
    if _depth(value) > MAX_DEPTH:
        raise NotJson(f"the body is nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (iteratively: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: list[Any] = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


async def read_body(request: Request) -> bytes:
    """The raw body; 408 when it does not arrive in time, 400 when the client left."""
    try:
        return await asyncio.wait_for(request.body(), timeout=BODY_TIMEOUT)
    except TimeoutError:
        raise ApiError(408, {"error": "the request body did not arrive in time"}) from None
    except ClientDisconnect:
        print(
            f"palfleet emulator: client disconnected during {request.method} {request.url.path}",
            file=sys.stderr,
        )
        raise ApiError(400, {"error": "the client disconnected"}) from None
