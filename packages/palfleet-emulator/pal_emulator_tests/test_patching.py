"""The emulator's RFC 6902 adapter (the jsonpatch library) against the json-patch conformance suite (both files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pal_emulator.patching import PatchError, apply_patch, parse_pointer

SUITE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "json-patch"


def _cases() -> list[Any]:
    cases = []
    for name in ("tests.json", "spec_tests.json"):
        for i, record in enumerate(json.loads((SUITE / name).read_text())):
            if record.get("disabled") or "patch" not in record:
                continue
            label = f"{name}#{i}:{record.get('comment', '')[:50]}"
            cases.append(pytest.param(record, id=label))
    return cases


CASES = _cases()


def test_the_suite_is_present_and_large() -> None:
    assert len(CASES) > 100


@pytest.mark.parametrize("record", CASES)
def test_conformance(record: dict[str, Any]) -> None:
    original = json.dumps(record["doc"], sort_keys=True)
    if "error" in record:
        with pytest.raises(PatchError):
            apply_patch(record["doc"], record["patch"])
    else:
        result = apply_patch(record["doc"], record["patch"])
        assert json.dumps(result, sort_keys=True) == json.dumps(record["expected"], sort_keys=True)
    assert json.dumps(record["doc"], sort_keys=True) == original, "input must never be mutated"


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "remove", "path": "/missing"}],
        [{"op": "add", "path": "/a/b/c", "value": 1}],
        [{"op": "add", "path": "/list/01", "value": 1}],
        [{"op": "replace", "path": "/list/-", "value": 1}],
        [{"op": "remove", "path": "/list/-"}],
        [{"op": "test", "path": "/n", "value": True}],
        [{"op": "add", "path": "/x"}],
        [{"op": "copy", "path": "/x"}],
        [{"op": "frobnicate", "path": "/x", "value": 1}],
        [{"op": "add", "path": "x", "value": 1}],
        [{"op": "add", "path": "/x~2", "value": 1}],
        [{"op": "move", "from": "/list", "path": "/list/0"}],
        {"op": "add", "path": "/x", "value": 1},
        ["not an op"],
    ],
)
def test_strictness(patch: Any) -> None:
    with pytest.raises(PatchError):
        apply_patch({"list": [1, 2], "n": 1, "a": {}}, patch)


def test_failing_op_leaves_document_untouched() -> None:
    doc = {"a": 1}
    with pytest.raises(PatchError):
        apply_patch(doc, [{"op": "add", "path": "/b", "value": 2}, {"op": "remove", "path": "/zz"}])
    assert doc == {"a": 1}


def test_end_of_array_add_and_escapes() -> None:
    result = apply_patch(
        {"l": [1], "a/b": 0, "m~n": 0},
        [
            {"op": "add", "path": "/l/-", "value": 2},
            {"op": "replace", "path": "/a~1b", "value": 5},
            {"op": "replace", "path": "/m~0n", "value": 6},
        ],
    )
    assert result == {"l": [1, 2], "a/b": 5, "m~n": 6}
    assert parse_pointer("/a~1b/m~0n") == ["a/b", "m~n"]
