from __future__ import annotations

from pal_provider.declaration.secrets import SECRET_MARKER, is_secret_marker, secret_marker


def test_marker_shape() -> None:
    assert SECRET_MARKER == "$secret"
    assert is_secret_marker({"$secret": "k"})
    assert not is_secret_marker({"$secret": "k", "other": 1})
    assert not is_secret_marker({"secret": "k"})
    assert not is_secret_marker("k")


def test_the_declaration_writes_the_marker_core_reads() -> None:
    assert secret_marker("palfleet:llmKey") == {"$secret": "palfleet:llmKey"}
    assert is_secret_marker(secret_marker("k"))
