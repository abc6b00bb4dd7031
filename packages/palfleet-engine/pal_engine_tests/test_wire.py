"""Struct <-> plain conversion keeps exact secret paths (the SDK's deserializer does not)."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from pal_engine.wire import (
    UNKNOWN,
    UnsupportedValue,
    contains_unknown,
    plain_to_struct,
    struct_to_plain,
)
from pulumi.runtime import rpc


def test_nested_secret_paths_survive_a_round_trip() -> None:
    plain = {"a": {"b": "s1", "c": "plain"}, "list": ["x", "s2"], "top": "s3", "n": 2.0}
    paths: set[tuple[str | int, ...]] = {("a", "b"), ("list", 1), ("top",)}

    decoded, secrets = struct_to_plain(plain_to_struct(plain, paths))

    assert decoded == plain
    assert secrets == paths


def test_unknowns_are_kept_as_the_sentinel() -> None:
    struct = struct_pb2.Struct()
    struct.update({"id": UNKNOWN, "x": {"y": [UNKNOWN]}})

    decoded, _ = struct_to_plain(struct)

    assert decoded == {"id": UNKNOWN, "x": {"y": [UNKNOWN]}}
    assert contains_unknown(decoded) and not contains_unknown({"x": ["a"]})


def test_assets_are_rejected_with_the_property_named() -> None:
    struct = struct_pb2.Struct()
    struct.update({"file": {rpc._special_sig_key: rpc._special_asset_sig, "path": "x"}})

    with pytest.raises(UnsupportedValue, match="property file"):
        struct_to_plain(struct)
