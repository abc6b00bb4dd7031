"""Conversion between the gRPC wire form (``google.protobuf.Struct``) and plain Python values.

The SDK encodes special values as objects carrying the signature key
``4dabf18193072939515e22adb298388d`` (``pulumi.runtime.rpc._special_sig_key``): secrets
(``1b47061264138c4ac30d75fd1eb44270``), resource references and output values; unknown
(computed) values are the string ``rpc.UNKNOWN``. ``rpc.deserialize_properties`` pushes the
secretness of a nested value up to its enclosing object, so to know *exactly* which property
paths were secret we walk the raw ``Struct`` ourselves (:func:`struct_to_plain`).

Plain values here are JSON-shaped: ``dict``/``list``/``str``/``float``/``bool``/``None``;
unknown values stay the sentinel string :data:`UNKNOWN`, which is also how the real engine
sends computed values to a provider during a preview.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from pal_engine import property_paths
from pal_engine.property_paths import PropertyPath

UNKNOWN: str = rpc.UNKNOWN
SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
_RESOURCE_SIG: str = rpc._special_resource_sig
_OUTPUT_VALUE_SIG: str = rpc._special_output_value_sig
_ASSET_SIG: str = rpc._special_asset_sig
_ARCHIVE_SIG: str = rpc._special_archive_sig


class UnsupportedValue(ValueError):
    """A wire value the stand-in cannot represent (assets and archives)."""


def struct_to_plain(struct: struct_pb2.Struct) -> tuple[dict[str, Any], set[PropertyPath]]:
    """Decode a ``Struct``: the plain properties and the exact paths that were secret.

    ``None`` values inside objects are dropped, as ``rpc.deserialize_properties`` does.
    Resource references are downgraded the way the engine downgrades them for providers
    that do not accept resources: a custom resource becomes its ID, a component its URN.
    """
    secrets: set[PropertyPath] = set()
    plain = _decode_fields(struct, (), secrets)
    return plain, property_paths.outermost(secrets)


def _decode_fields(
    struct: struct_pb2.Struct, path: PropertyPath, secrets: set[PropertyPath]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in struct.fields.items():
        decoded = _decode_value(value, (*path, key), secrets)
        if decoded is not None:
            result[key] = decoded
    return result


def _decode_value(value: struct_pb2.Value, path: PropertyPath, secrets: set[PropertyPath]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        if SIG_KEY in fields:
            return _decode_special(value.struct_value, path, secrets)
        return _decode_fields(value.struct_value, path, secrets)
    if kind == "list_value":
        return [
            _decode_value(item, (*path, index), secrets)
            for index, item in enumerate(value.list_value.values)
        ]
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        return value.number_value
    if kind == "bool_value":
        return value.bool_value
    return None


def _decode_special(
    struct: struct_pb2.Struct, path: PropertyPath, secrets: set[PropertyPath]
) -> Any:
    signature = struct.fields[SIG_KEY].string_value
    fields = struct.fields
    if signature == SECRET_SIG:
        secrets.add(path)
        return _decode_value(fields["value"], path, secrets) if "value" in fields else None
    if signature == _RESOURCE_SIG:
        resource_id = fields["id"].string_value if "id" in fields else ""
        return resource_id or fields["urn"].string_value
    if signature == _OUTPUT_VALUE_SIG:
        if "secret" in fields and fields["secret"].bool_value:
            secrets.add(path)
        if "value" not in fields:
            return UNKNOWN
        return _decode_value(fields["value"], path, secrets)
    if signature in (_ASSET_SIG, _ARCHIVE_SIG):
        where = property_paths.format_path(path) if path else "(top level)"
        raise UnsupportedValue(f"assets and archives are not supported (property {where})")
    raise UnsupportedValue(f"unknown value signature {signature!r}")


def plain_to_struct(
    plain: dict[str, Any], secret_paths: Iterable[PropertyPath] = ()
) -> struct_pb2.Struct:
    """Encode plain properties, wrapping the values at ``secret_paths`` as secrets."""
    wrapped: Any = plain
    for path in property_paths.outermost(secret_paths):
        if path:
            wrapped = _wrapped_at(wrapped, path)
    struct = struct_pb2.Struct()
    struct.update(wrapped)
    return struct


def _wrapped_at(value: Any, path: PropertyPath) -> Any:
    """``value`` with the leaf at ``path`` wrapped as a secret; only the containers on the path
    are copied (a whole state is encoded at every call: no deep copy)."""
    if not path:
        return {SIG_KEY: SECRET_SIG, "value": value}
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(head, str) and head in value:
        return {**value, head: _wrapped_at(value[head], rest)}
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return [*value[:head], _wrapped_at(value[head], rest), *value[head + 1 :]]
    return value


def contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def drop_unknowns(value: dict[str, Any]) -> dict[str, Any]:
    """Remove top-level unknown values (outputs of failed resources are absent, not computed)."""
    return {key: item for key, item in value.items() if not contains_unknown(item)}
