"""Tolerant reading of every body shape the contract allows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pal_provider.api.wire import (
    WireFormatError,
    is_short_create_response,
    normalize_pal,
    parse_timestamp,
    read_pal,
    read_pal_page,
    unwrap_list,
    unwrap_one,
)


def test_flat_and_wrapped_single_objects_read_the_same() -> None:
    pal = {"pal_id": "p1", "pal_name": "a"}
    assert unwrap_one(pal) == pal
    assert unwrap_one({"data": [pal]}) == pal
    assert unwrap_one({"data": pal}) == pal


def test_wrapped_single_object_must_hold_exactly_one() -> None:
    with pytest.raises(WireFormatError, match="got 2"):
        unwrap_one({"data": [{"pal_id": "a"}, {"pal_id": "b"}]})
    with pytest.raises(WireFormatError):
        unwrap_one(["not", "an", "object"])


def test_lists_wrapped_or_bare() -> None:
    items = [{"pal_id": "p1"}, {"pal_id": "p2"}]
    assert unwrap_list({"data": items, "total_count": 9}) == (items, 9)
    assert unwrap_list(items) == (items, None)
    assert unwrap_list({"data": items}) == (items, None)
    with pytest.raises(WireFormatError):
        unwrap_list({"items": items})
    with pytest.raises(WireFormatError):
        unwrap_list({"data": [1, 2]})


def test_persona_vocabulary_becomes_pal_vocabulary() -> None:
    legacy = {
        "persona_id": "p1",
        "persona_name": "alpha",
        "default_replica_id": "r1",
        "persona_type": "user",
        "layers": {"conversational_flow": {"replica_interruptibility": "low"}},
    }
    assert normalize_pal(legacy) == {
        "pal_id": "p1",
        "pal_name": "alpha",
        "default_face_id": "r1",
        "pal_type": "user",
        "layers": {"conversational_flow": {"face_interruptibility": "low"}},
    }
    revision_1 = {"layers": {"conversational_flow": {"pal_interruptibility": "high"}}}
    assert normalize_pal(revision_1) == {
        "layers": {"conversational_flow": {"face_interruptibility": "high"}}
    }
    assert "persona_id" in legacy, "the input is not mutated"


def test_pal_spelling_wins_when_both_are_present() -> None:
    assert normalize_pal({"pal_id": "new", "persona_id": "old"}) == {"pal_id": "new"}


def test_unknown_fields_are_kept() -> None:
    doc = {"pal_id": "p1", "owner_id": "o9", "future_field": {"x": [1, 2]}}
    assert read_pal({"data": [doc]}) == doc


def test_page_normalizes_each_item() -> None:
    page = read_pal_page({"data": [{"persona_id": "p1"}], "total_count": 1}, page=1, limit=10)
    assert page.items == [{"pal_id": "p1"}]
    assert (page.total_count, page.page, page.limit) == (1, 1, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T05:06:07Z", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2025-03-04T05:06:07+00:00", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123456Z", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123456+00:00", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123", datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)),
        ("2025-03-04T05:06:07", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2025-03-04 05:06:07.5", datetime(2025, 3, 4, 5, 6, 7, 500000, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123456789Z", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2025-03-04T07:06:07+02:00", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2025-03-04T00:06:07-0500", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_every_shape(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize("bad", ["", "yesterday", "2025-13-01T00:00:00Z", "2025-03-04"])
def test_parse_timestamp_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        parse_timestamp(bad)


def test_short_create_response_detection() -> None:
    assert is_short_create_response({"pal_id": "p1", "pal_name": "a", "created_at": "x"})
    assert not is_short_create_response({"pal_id": "p1", "layers": {}, "system_prompt": "s"})
