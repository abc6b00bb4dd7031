"""Compose YAML 1.2 nodes with libyaml's C parser, when it can, ten times faster than pure Python.

ruamel's pure-Python parser is the reference (YAML 1.2, and the error messages users see), but it
spends about 0.4 s on a 1,000-PAL fleet, and ``pulumi up`` runs the program twice. PyYAML (a
dependency of the Pulumi SDK) ships libyaml's parser; it is a YAML 1.1 parser, so:

* plain scalars are resolved by ruamel's own YAML 1.2 resolver (``off`` stays a string);
* a document libyaml refuses (malformed, or nested deeper than its 1,000 levels) or one with a
  ``%YAML`` directive is left to ruamel, which words every error and honours the directive;
* the nodes are rebuilt as ruamel nodes, aliases kept as shared objects, so indexing and
  construction are the same code on both paths.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

try:
    import yaml as _pyyaml
    from yaml import _yaml as _libyaml  # type: ignore[attr-defined]
except ImportError:  # PyYAML built without libyaml: the pure parser does all the work
    _pyyaml = None
    _libyaml = None

_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)


def _resolver_for_libyaml() -> Any:
    if _libyaml is None or _pyyaml is None:
        return None
    # ruamel's YAML 1.2 table (first character -> [(tag, pattern)]), read once: its own
    # ``resolve`` looks the version up again for every scalar, a third of the parse time.
    table = VersionedResolver(version=(1, 2)).versioned_resolver
    anywhere = table.get(None, [])
    tags: dict[str, Tag] = {}
    defaults = {
        _pyyaml.ScalarNode: Tag(suffix="tag:yaml.org,2002:str"),
        _pyyaml.SequenceNode: Tag(suffix="tag:yaml.org,2002:seq"),
        _pyyaml.MappingNode: Tag(suffix="tag:yaml.org,2002:map"),
    }

    class Composer(_libyaml.CParser):  # type: ignore[misc, name-defined]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is _pyyaml.ScalarNode and implicit[0]:
                for tag, pattern in table.get(value[:1], []) + anywhere:
                    if pattern.match(value):
                        found = tags.get(tag)
                        if found is None:
                            found = tags[tag] = Tag(suffix=tag)
                        return found
            return defaults[kind]

        def descend_resolver(self, parent: Any, index: Any) -> None:
            """Path resolvers: palfleet registers none, so there is nothing to track."""

        def ascend_resolver(self) -> None:
            """Path resolvers: palfleet registers none."""

    return Composer


_COMPOSER = _resolver_for_libyaml()


def _tag(tag: Any) -> Tag:
    return tag if isinstance(tag, Tag) else Tag(suffix=tag)


def _rebuild(node: Any, memo: dict[int, Node]) -> Node:
    """The ruamel node for a PyYAML node; an alias (the same object twice) stays one object."""
    found = memo.get(id(node))
    if found is not None:
        return found
    start, end = node.start_mark, node.end_mark
    rebuilt: Node
    if node.id == "scalar":
        rebuilt = ScalarNode(_tag(node.tag), node.value, start, end, style=node.style)
    elif node.id == "sequence":
        rebuilt = SequenceNode(_tag(node.tag), [], start, end, flow_style=node.flow_style)
        memo[id(node)] = rebuilt
        rebuilt.value.extend(_rebuild(item, memo) for item in node.value)
        return rebuilt
    else:
        rebuilt = MappingNode(_tag(node.tag), [], start, end, flow_style=node.flow_style)
        memo[id(node)] = rebuilt
        rebuilt.value.extend((_rebuild(k, memo), _rebuild(v, memo)) for k, v in node.value)
        return rebuilt
    memo[id(node)] = rebuilt
    return rebuilt


def compose(text: str) -> tuple[bool, Node | None]:
    """``(True, root)`` when libyaml composed the document (``root`` is None for an empty one);
    ``(False, None)`` when the pure parser must: no libyaml, a ``%YAML`` directive, or a refusal."""
    if _COMPOSER is None or _DIRECTIVE.search(text):
        return False, None
    parser = _COMPOSER(text)
    try:
        root = parser.get_single_node()
    except _pyyaml.YAMLError:
        return False, None
    finally:
        parser.dispose()
    return True, None if root is None else _rebuild(root, {})
