from __future__ import annotations

from pal_provider.declaration.merge import deep_merge, merge_intent
from pal_provider.declaration.models import PalIntent


def test_deep_merge_mappings_merge_and_override_wins() -> None:
    base = {"a": 1, "m": {"x": 1, "y": {"z": 1}}}
    override = {"m": {"y": {"w": 2}, "x": 5}, "b": 2}
    assert deep_merge(base, override) == {"a": 1, "b": 2, "m": {"x": 5, "y": {"z": 1, "w": 2}}}
    assert base == {"a": 1, "m": {"x": 1, "y": {"z": 1}}}, "inputs are not mutated"


def test_lists_replace_instead_of_appending() -> None:
    assert deep_merge({"tags": ["a", "b"]}, {"tags": ["c"]}) == {"tags": ["c"]}


def test_explicit_null_removes_a_default() -> None:
    assert deep_merge({"greeting": "hi", "k": 1}, {"greeting": None}) == {"k": 1}


def test_defaults_are_merged_under_a_pal() -> None:
    defaults = PalIntent.model_validate(
        {
            "greeting": "Hello",
            "document_tags": ["faq", "policy"],
            "layers": {
                "llm": {"model": "tavus-glm-4.7", "extra_body": {"temperature": 0.7}},
                "stt": {"participant_pause_sensitivity": "medium"},
            },
        }
    )
    pal = PalIntent.model_validate(
        {
            "document_tags": ["faq"],
            "layers": {"llm": {"extra_body": {"top_p": 0.9}}, "stt": None},
        }
    )
    merged = merge_intent(defaults, pal)
    assert merged.greeting == "Hello"
    assert merged.document_tags == ["faq"]
    assert merged.layers is not None and merged.layers.llm is not None
    assert merged.layers.llm.model == "tavus-glm-4.7"
    assert merged.layers.llm.extra_body == {"temperature": 0.7, "top_p": 0.9}
    assert merged.layers.stt is None


def test_no_defaults_is_the_pal_itself() -> None:
    pal = PalIntent.model_validate({"pal_name": "X", "face": "coach"})
    assert merge_intent(None, pal) == pal
