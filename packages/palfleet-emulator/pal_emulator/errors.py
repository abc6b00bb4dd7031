"""Exceptions the route handlers turn into the contract's error bodies."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP answer other than success, with the exact JSON body of the contract."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


def invalid_patch() -> ApiError:
    return ApiError(422, {"message": "Invalid JSON patch format"})


class InvalidDocument(ValueError):
    """A PAL or tool document breaks a field rule; the message names the field."""
