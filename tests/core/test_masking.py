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
    replace_secret_refs,
    secret_prefix,
    secret_refs,
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


BODY = {
    "pal_name": "Storyteller",
    "layers": {
        "llm": {"api_key": {"$secret": "palfleet:llmKey"}, "headers": {"X": "1"}},
        "tts": {"api_key": {"$secret": "palfleet:ttsKey"}},
    },
    "tools": [{"auth": {"token": {"$secret": "palfleet:hook"}}}],
    "a/b~c": {"$secret": "palfleet:odd"},
    "not": {"$secret": "k", "other": 1},
}


def test_secret_refs_lists_pointers_and_config_keys() -> None:
    assert secret_refs(BODY) == {
        "/layers/llm/api_key": "palfleet:llmKey",
        "/layers/tts/api_key": "palfleet:ttsKey",
        "/tools/0/auth/token": "palfleet:hook",
        "/a~1b~0c": "palfleet:odd",
    }


def test_replace_secret_refs_replaces_markers_and_copies() -> None:
    values = {"palfleet:llmKey": "v1", "palfleet:ttsKey": "v2", "palfleet:hook": "v3"}
    result = replace_secret_refs(BODY, lambda pointer, key: values.get(key, pointer))
    assert isinstance(result, dict)
    assert result["layers"]["llm"]["api_key"] == "v1"
    assert result["tools"][0]["auth"]["token"] == "v3"
    assert result["a/b~c"] == "/a~1b~0c"
    assert result["layers"]["llm"]["headers"] == {"X": "1"}
    assert BODY["layers"]["llm"]["api_key"] == {"$secret": "palfleet:llmKey"}  # type: ignore[index]
    assert secret_refs(result) == {}
