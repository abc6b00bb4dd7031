"""Reading declaration YAML: data, line numbers per field path, and duplicate keys.

The document is parsed once into ruamel nodes (which keep every key, duplicates included,
with its line), and the plain Python data is constructed from those nodes. A duplicate key is reported as a
problem instead of silently keeping one of the values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .findings import PathPart

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> tuple[PathPart, ...]:
    """Inverse of `join_path` for keys without dots or brackets."""
    return tuple(int(index) if index else name for name, index in _PATH_TOKEN.findall(path))


@dataclass(frozen=True)
class DuplicateKey:
    path: tuple[PathPart, ...]
    line: int
    first_line: int


@dataclass(frozen=True)
class YamlProblem:
    message: str
    line: int | None


@dataclass
class YamlSource:
    data: Any = None
    lines: dict[tuple[PathPart, ...], int] = field(default_factory=dict)
    duplicates: list[DuplicateKey] = field(default_factory=list)
    problem: YamlProblem | None = None

    def locate(self, parts: Sequence[PathPart]) -> int | None:
        """1-based line of `parts`, or of its nearest ancestor that exists in the file."""
        key = tuple(parts)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None


def _index(
    node: Node, path: tuple[PathPart, ...], source: YamlSource, active: frozenset[int] = frozenset()
) -> None:
    if id(node) in active:
        source.problem = YamlProblem(
            "malformed YAML: an alias refers to one of its own parents", node.start_mark.line + 1
        )
        return
    active = active | {id(node)}
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            name = str(key_node.value)
            line = key_node.start_mark.line + 1
            if name in seen:
                source.duplicates.append(DuplicateKey((*path, name), line, seen[name]))
                continue
            seen[name] = line
            source.lines[(*path, name)] = line
            _index(value_node, (*path, name), source, active)
    elif isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            source.lines[(*path, position)] = item.start_mark.line + 1
            _index(item, (*path, position), source, active)


def read_yaml(text: str) -> YamlSource:
    source = YamlSource()
    try:
        # Parse once: compose the node graph (keys, duplicates and lines), then construct
        # the data from those same nodes, as YAML.load would internally.
        loader = YAML(typ="safe")
        loader.allow_duplicate_keys = True
        root = loader.compose(text)
        source.data = None if root is None else loader.constructor.construct_document(root)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p)
        source.problem = YamlProblem(
            f"malformed YAML: {detail or 'cannot parse'}", mark.line + 1 if mark else None
        )
        return source
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        source.problem = YamlProblem(f"malformed YAML: {exc.__class__.__name__}", None)
        return source
    if root is not None:
        _index(root, (), source)
    return source
