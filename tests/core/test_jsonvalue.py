"""JSON helpers: type-strict equality, RFC 6901 pointers, fast copies."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pal_provider.core.jsonvalue import (
    copy_json,
    from_pointer,
    get_path,
    path_sort_key,
    strict_equal,
    to_dotted,
    to_pointer,
)
from tests.core.strategies import JSON, KEYS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        (0.0, False),
        ([1], [1.0]),
        ({"a": 1}, {"a": True}),
        ("1", 1),
        (None, False),
        ({}, []),
    ],
)
def test_strict_equal_separates_what_python_confuses(a: Any, b: Any) -> None:
    assert not strict_equal(a, b)
    assert not strict_equal(b, a)


def test_strict_equal_accepts_equal_documents_of_any_mapping_type() -> None:
    assert strict_equal({"a": [1, {"b": None}]}, OrderedDict(a=[1, {"b": None}]))
    assert strict_equal([1, 2], (1, 2))
    assert not strict_equal({"a": 1}, {"a": 1, "b": 2})
    assert not strict_equal({"a": 1, "c": 1}, {"a": 1, "b": 1})


@given(JSON)
def test_copy_is_equal_and_independent(doc: Any) -> None:
    copied = copy_json(doc)
    assert strict_equal(copied, doc)
    if isinstance(copied, (dict, list)) and copied:
        assert copied is not doc


@given(st.lists(KEYS, max_size=4).map(tuple))
def test_pointer_round_trip(path: tuple[str, ...]) -> None:
    assert from_pointer(to_pointer(path)) == path


def test_pointer_escaping_order() -> None:
    assert to_pointer(("a/b", "m~n", "~1", "")) == "/a~1b/m~0n/~01/"
    assert from_pointer("/~01") == ("~1",)
    assert to_pointer(()) == ""
    with pytest.raises(ValueError, match="must be empty or start with '/'"):
        from_pointer("a/b")


def test_dotted_names() -> None:
    assert to_dotted(("layers", "llm", "model")) == "layers.llm.model"
    assert to_dotted(("layers", "llm", "tools", 3, "function")) == "layers.llm.tools[3].function"
    assert to_dotted(()) == "(document)"


def test_get_path_tells_absent_from_null() -> None:
    doc = {"a": {"b": None}, "l": [10, 20]}
    assert get_path(doc, ("a", "b")) == (True, None)
    assert get_path(doc, ("a", "c")) == (False, None)
    assert get_path(doc, ("l", 1)) == (True, 20)
    assert get_path(doc, ("l", 2)) == (False, None)
    assert get_path(doc, ("a", "b", "c")) == (False, None)


def test_path_sort_key_orders_mixed_paths() -> None:
    paths = [("b",), ("a", 2), ("a", "x"), ("a", 10), ("a",)]
    assert sorted(paths, key=path_sort_key) == [("a",), ("a", "x"), ("a", 2), ("a", 10), ("b",)]
