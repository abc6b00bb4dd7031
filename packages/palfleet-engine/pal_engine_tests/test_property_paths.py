"""Pulumi property path syntax."""

from __future__ import annotations

import pytest
from pal_engine.property_paths import (
    PathSyntaxError,
    format_path,
    outermost,
    parse_path,
)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("password",), "password"),
        (("layers", "llm", "api_key"), "layers.llm.api_key"),
        (("tools", 0, "auth"), "tools[0].auth"),
        (("headers", "x.y"), 'headers["x.y"]'),
        (("a b",), '["a b"]'),
        (("q", 'say "hi"]'), 'q["say \\"hi\\"]"]'),
    ],
)
def test_format_and_parse_are_inverse(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", ".a", "a[", "a[x]", "a..b", 'a["x'])
def test_bad_paths_are_rejected(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(text)


def test_outermost_drops_nested_paths() -> None:
    assert outermost({("a",), ("a", "b"), ("c", 0), ("c", 0, "d"), ("e",)}) == {
        ("a",),
        ("c", 0),
        ("e",),
    }
