"""Reading declaration YAML: data, line numbers per field path, and duplicate keys.

The document is parsed once into ruamel nodes (which keep every key, duplicates included,
with its line), and the plain Python data is constructed from those nodes. A duplicate key is reported as a
problem instead of silently keeping one of the values.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import _libyaml_compose
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


# Bounds that no real declaration comes near, so hostile input fails fast and small: a "billion
# laughs" alias bomb of 1 KB otherwise expands to gigabytes, and deep nesting exhausts recursion.
MAX_BYTES = 20_000_000
MAX_ALIAS_VALUES = 20_000
MAX_DEPTH = 100
_RECURSION_FOR_PARSING = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class _Visits:
    seen: set[int] = field(default_factory=set)
    via_alias: int = 0


class _TooLarge(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        self.problem = problem


def _index(
    node: Node,
    path: tuple[PathPart, ...],
    source: YamlSource,
    state: _Visits,
    active: frozenset[int] = frozenset(),
) -> None:
    """Record the line of every path (and duplicate keys), counting every value visited:
    an alias is visited again wherever it is used, as every consumer would expand it."""
    line = node.start_mark.line + 1
    if id(node) in state.seen:
        state.via_alias += 1
    state.seen.add(id(node))
    if id(node) in active:
        raise _TooLarge(
            YamlProblem("malformed YAML: an alias refers to one of its own parents", line)
        )
    active = active | {id(node)}
    if state.via_alias > MAX_ALIAS_VALUES:
        raise _TooLarge(
            YamlProblem(
                f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (aliases that repeat "
                "aliases?); write the values out, or use fewer nested aliases",
                line,
            )
        )
    if len(path) > MAX_DEPTH:
        raise _TooLarge(YamlProblem(f"values are nested more than {MAX_DEPTH} levels deep", line))
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                # `<<: *defaults`: the merged keys are defaults the keys written here override.
                _index_merged(value_node, path, source, state, seen, active)
                continue
            name = str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if name in seen and seen[name] > 0:
                source.duplicates.append(DuplicateKey((*path, name), key_line, seen[name]))
                continue
            seen[name] = key_line
            source.lines[(*path, name)] = key_line
            _index(value_node, (*path, name), source, state, active)
    elif isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            source.lines[(*path, position)] = item.start_mark.line + 1
            _index(item, (*path, position), source, state, active)


def _index_merged(
    node: Node,
    path: tuple[PathPart, ...],
    source: YamlSource,
    state: _Visits,
    seen: dict[str, int],
    active: frozenset[int],
) -> None:
    """Index the mappings merged in by ``<<`` (one, or a list); their keys may be overridden."""
    merged = node.value if isinstance(node, SequenceNode) else [node]
    for mapping in merged:
        if not isinstance(mapping, MappingNode):
            continue
        for key_node, value_node in mapping.value:
            if isinstance(key_node, ScalarNode) and str(key_node.value) not in seen:
                name = str(key_node.value)
                seen[name] = 0  # merged: a key written in this mapping overrides it
                source.lines.setdefault((*path, name), key_node.start_mark.line + 1)
                _index(value_node, (*path, name), source, state, active)


def _control_character(text: str) -> YamlProblem | None:
    match = _CONTROL.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return YamlProblem(
        f"the file contains a control character ({match.group()!r}); save it as plain UTF-8 "
        "text without it",
        line,
    )


def read_yaml(text: str) -> YamlSource:
    source = YamlSource()
    if len(text) > MAX_BYTES:
        source.problem = YamlProblem(
            f"the file is larger than {MAX_BYTES // 1_000_000} MB; split the fleet", None
        )
        return source
    source.problem = _control_character(text)
    if source.problem is not None:
        return source
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, _RECURSION_FOR_PARSING))
        # pure: with ruamel.yaml.clib installed, "safe" would resolve scalars by YAML 1.1 rules
        # (`off` a boolean); the libyaml fast path resolves them by ruamel's 1.2 rules instead.
        loader = YAML(typ="safe", pure=True)
        loader.allow_duplicate_keys = True
        composed, root = _libyaml_compose.compose(text)
        if not composed:
            root = loader.compose(text)
        if root is not None:
            # Index first: constructing flattens `<<` merges into the nodes.
            _index(root, (), source, _Visits())
        # Parse once: the data is constructed from the same nodes, as YAML.load would.
        source.data = None if root is None else loader.constructor.construct_document(root)
    except _TooLarge as exc:
        return YamlSource(problem=exc.problem)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(p for p in (exc.context, exc.problem) if p)
        return YamlSource(
            problem=YamlProblem(
                f"malformed YAML: {detail or 'cannot parse'}", mark.line + 1 if mark else None
            )
        )
    except RecursionError:
        return YamlSource(
            problem=YamlProblem(f"values are nested more than {MAX_DEPTH} levels deep", None)
        )
    except (YAMLError, ValueError, TypeError) as exc:
        return YamlSource(problem=YamlProblem(f"malformed YAML: {exc}", None))
    finally:
        sys.setrecursionlimit(limit)
    return source
