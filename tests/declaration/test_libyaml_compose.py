"""The libyaml fast path composes exactly what ruamel's pure YAML 1.2 parser composes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pal_provider.declaration import _libyaml_compose
from pal_provider.declaration.yaml_source import YamlSource, read_yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [*REPO.glob("stacks/*/fleet.yaml"), *(REPO / "tests/declaration/corpus").rglob("*.yaml")]
)

TRICKY = [
    "a: off\nb: on\nc: yes\nd: no\ne: y\n",  # YAML 1.1 booleans are strings in 1.2
    "a: 012\nb: 0o17\nc: 0x1F\nd: 1_000\ne: 1:20\n",  # octal and sexagesimal differ in 1.1
    "a: .inf\nb: -.Inf\nc: .nan\nd: 1e3\ne: 1.5\n",
    "a: ~\nb: null\nc: Null\nd:\ne: ''\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\n",
    "a: '1'\nb: !!str 5\nc: \"\\u00e9\\/\"\nd: |\n  two\n  lines\ne: >-\n  folded\n  text\n",
    "x: &a {k: 1}\ny: *a\nz:\n  <<: *a\n  k: 2\nw:\n  <<: [*a, {m: 3}]\n",
    "a: 1\nb:\n  a: 1\n  a: 2\na: 3\n",
    '{url: http://host:9/v2, "k":v}\n',  # 1.2 flow scalars
    "list:\n- 1\n- - 2\n  - {k: [3, {j: 4}]}\n",
]


def _pure(text: str, monkeypatch: pytest.MonkeyPatch) -> YamlSource:
    with monkeypatch.context() as patched:
        patched.setattr(_libyaml_compose, "compose", lambda _text: (False, None))
        return read_yaml(text)


@pytest.mark.parametrize(
    "text",
    [*TRICKY, *(p.read_text(encoding="utf-8") for p in CORPUS)],
    ids=[f"tricky-{i}" for i in range(len(TRICKY))] + [str(p.relative_to(REPO)) for p in CORPUS],
)
def test_fast_path_reads_what_the_pure_parser_reads(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert read_yaml(text) == _pure(text, monkeypatch)


def test_the_shipped_stacks_take_the_fast_path() -> None:
    for path in REPO.glob("stacks/*/fleet.yaml"):
        assert _libyaml_compose.compose(path.read_text(encoding="utf-8"))[0], path


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1001 + "]" * 1001,  # deeper than libyaml nests
        "%YAML 1.1\n---\na: off\n",  # a version directive: the pure parser honours it
        "a: [1, 2\n",  # malformed: the pure parser words the error
    ],
)
def test_the_pure_parser_takes_over(text: str) -> None:
    assert _libyaml_compose.compose(text) == (False, None)


def test_a_refused_document_still_reads() -> None:
    assert read_yaml("{url: http://host:9/v2}\n").data == {"url": "http://host:9/v2"}
    deep = read_yaml("[" * 1001 + "]" * 1001).problem
    assert deep is not None and "nested more than" in deep.message
    assert read_yaml("%YAML 1.1\n---\na: off\n").data == {"a": False}
    problem = read_yaml("a: [1, 2\n").problem
    assert problem is not None and problem.line == 2


def test_an_alias_stays_one_node() -> None:
    composed, root = _libyaml_compose.compose("x: &a {k: 1}\ny: *a\n")
    assert composed and root is not None
    (_, first), (_, second) = root.value
    assert first is second


def test_an_alias_bomb_is_still_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    problem = read_yaml(bomb).problem
    assert problem is not None and "aliases expand" in problem.message
