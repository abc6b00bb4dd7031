"""Secret paths, redaction and the unsendable-value check."""

from __future__ import annotations

from typing import Any

from pal_provider.core.masking import (
    MASK,
    contains_secret,
    find_unsendable,
    is_secret_path,
    normalize_paths,
    redact,
    secret_prefix,
)


def test_secret_paths() -> None:
    assert is_secret_path(("layers", "llm", "api_key"))
    assert is_secret_path(("layers", "tts", "api_key"))
    assert is_secret_path(("delivery", "api", "auth", "client_secret"))
    assert not is_secret_path(("layers", "stt", "api_key"))
    assert not is_secret_path(("delivery", "api", "auth", "type"))
    assert secret_prefix(("layers", "llm", "api_key", "$secret")) == ("layers", "llm", "api_key")
    assert secret_prefix(("layers", "llm")) is None


def test_contains_secret_looks_inside_objects_and_arrays() -> None:
    assert contains_secret({"llm": {"api_key": "x"}}, ("layers",))
    assert contains_secret([{"auth": {"token": "t"}}], ("tools",))
    assert not contains_secret({"llm": {"model": "x"}}, ("layers",))


def test_redact_replaces_every_secret_leaf() -> None:
    value: dict[str, Any] = {
        "llm": {"api_key": "sk", "model": "m"},
        "tts": {"api_key": {"$secret": "k"}},
    }
    assert redact(value, ("layers",)) == {
        "llm": {"api_key": MASK, "model": "m"},
        "tts": {"api_key": MASK},
    }
    assert redact("sk", ("layers", "llm", "api_key"), "[secret]") == "[secret]"
    assert value["llm"]["api_key"] == "sk"


def test_find_unsendable() -> None:
    assert find_unsendable({"api_key": MASK}, ("layers", "llm")) == (
        ("layers", "llm", "api_key"),
        "masked ('********')",
    )
    assert find_unsendable({"llm": {"api_key": {"$secret": "k"}}}, ("layers",)) == (
        ("layers", "llm", "api_key"),
        "an unresolved secret reference",
    )
    assert find_unsendable({"api_key": "sk-real", "note": MASK}, ("layers", "llm")) is None


def test_normalize_paths_accepts_three_spellings() -> None:
    assert normalize_paths([("a", "b"), "/c/d~1e", "f.g"]) == {("a", "b"), ("c", "d/e"), ("f", "g")}
