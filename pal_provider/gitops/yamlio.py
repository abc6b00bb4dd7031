"""Round-trip YAML (ruamel) for files palfleet writes: comments and key order survive."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

# Plain scalars a YAML 1.1 reader would take for booleans: always quoted when written.
YAML11_BOOLS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false"})


def round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_text(text: str) -> Any:
    return round_trip_yaml().load(text)


def dump_text(data: Any) -> str:
    stream = io.StringIO()
    round_trip_yaml().dump(data, stream)
    return stream.getvalue()


def to_commented(value: Any) -> Any:
    """Plain data -> ruamel nodes; multi-line strings become literal blocks (`|`)."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = to_commented(item)
        return node
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(to_commented(item) for item in value)
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and value.lower() in YAML11_BOOLS:
        return DoubleQuotedScalarString(value)
    return value


def to_plain(value: Any) -> Any:
    """ruamel nodes -> plain dicts, lists and scalars (for comparisons and fingerprints)."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
