from __future__ import annotations

from pal_provider.declaration.secrets import (
    SECRET_MARKER,
    find_secret_refs,
    is_secret_marker,
    substitute_secrets,
)

BODY = {
    "pal_name": "Storyteller",
    "layers": {
        "llm": {"api_key": {"$secret": "palfleet:llmKey"}, "headers": {"X": "1"}},
        "tts": {"api_key": {"$secret": "palfleet:ttsKey"}},
    },
    "tools": [{"auth": {"token": {"$secret": "palfleet:hook"}}}],
}


def test_marker_shape() -> None:
    assert SECRET_MARKER == "$secret"
    assert is_secret_marker({"$secret": "k"})
    assert not is_secret_marker({"$secret": "k", "other": 1})
    assert not is_secret_marker({"secret": "k"})
    assert not is_secret_marker("k")


def test_find_secret_refs_lists_paths_and_keys() -> None:
    assert find_secret_refs(BODY) == [
        ("layers.llm.api_key", "palfleet:llmKey"),
        ("layers.tts.api_key", "palfleet:ttsKey"),
        ("tools[0].auth.token", "palfleet:hook"),
    ]


def test_substitute_secrets_replaces_markers_and_copies() -> None:
    values = {"palfleet:llmKey": "v1", "palfleet:ttsKey": "v2", "palfleet:hook": "v3"}
    result = substitute_secrets(BODY, values.__getitem__)
    assert result["layers"]["llm"]["api_key"] == "v1"
    assert result["layers"]["tts"]["api_key"] == "v2"
    assert result["tools"][0]["auth"]["token"] == "v3"
    assert result["layers"]["llm"]["headers"] == {"X": "1"}
    assert BODY["layers"]["llm"]["api_key"] == {"$secret": "palfleet:llmKey"}  # type: ignore[index]
    assert find_secret_refs(result) == []
