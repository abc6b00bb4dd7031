"""Typed diffs: Change / ChangeSet value types, rendering, secrets, type strictness."""

from __future__ import annotations

from typing import Any

import pytest

from pal_provider.core import MASK, Change, ChangeSet, diff_documents, diff_pal

PROMPT = "\n".join(f"Line {i}: stay on topic and be brief." for i in range(600))


def test_change_pointer_escapes_tilde_and_slash() -> None:
    change = Change(path=("layers", "llm", "headers", "a/b~c"), kind="add", new="x")
    assert change.pointer == "/layers/llm/headers/a~1b~0c"
    assert change.dotted == "layers.llm.headers.a/b~c"


def test_changes_are_frozen_values() -> None:
    change = Change(path=("greeting",), kind="change", old="a", new="b")
    assert change == Change(path=("greeting",), kind="change", old="a", new="b")
    assert len({change, Change(path=("greeting",), kind="change", old="a", new="b")}) == 1
    with pytest.raises(AttributeError):
        change.kind = "add"  # type: ignore[misc]


def test_render_of_each_kind() -> None:
    assert Change(("greeting",), "add", new="Hi").render() == '+ greeting: "Hi"'
    assert Change(("greeting",), "remove", old="Hi").render() == '- greeting: "Hi"'
    assert (
        Change(("layers", "llm", "model"), "change", "a", "b").render()
        == '~ layers.llm.model: "a" -> "b"'
    )


def test_long_text_is_summarized_and_text_diff_shows_the_edit() -> None:
    new = PROMPT.replace("Line 300: stay on topic", "Line 300: never discuss pricing")
    change = Change(("system_prompt",), "change", PROMPT, new)
    line = change.render()
    assert (
        line
        == f"~ system_prompt: text changed ({len(PROMPT):,} -> {len(new):,} chars, +1 -1 lines)"
    )
    diff = change.text_diff(context=1)
    assert "-Line 300: stay on topic and be brief." in diff
    assert "+Line 300: never discuss pricing and be brief." in diff
    assert "Line 10:" not in diff
    assert (
        Change(("system_prompt",), "add", new=PROMPT).render()
        == f"+ system_prompt: text ({len(PROMPT):,} chars)"
    )


def test_text_diff_is_cut_after_max_lines() -> None:
    change = Change(("system_prompt",), "add", new=PROMPT)
    out = change.text_diff(max_lines=10).splitlines()
    assert len(out) == 11
    assert out[-1].startswith("... ") and out[-1].endswith("more diff lines")


def test_large_json_values_are_truncated_in_render() -> None:
    tools = [{"type": "function", "function": {"name": f"t{i}"}} for i in range(20)]
    line = Change(("layers", "llm", "tools"), "add", new=tools).render()
    assert len(line) < 200
    assert "chars of JSON" in line


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            Change(("layers", "llm", "api_key"), "add", new="sk-live-1", secret=True),
            "+ layers.llm.api_key: [secret]",
        ),
        (
            Change(("layers", "llm", "api_key"), "remove", old=MASK, secret=True),
            "- layers.llm.api_key: [secret]",
        ),
        (
            Change(("layers", "tts", "api_key"), "change", MASK, "sk-live-1", secret=True),
            "~ layers.tts.api_key: [secret changed]",
        ),
    ],
)
def test_secret_values_never_render(change: Change, expected: str) -> None:
    assert change.render() == expected
    for text in (change.render(), change.text_diff(), repr(change), repr(ChangeSet([change]))):
        assert "sk-live-1" not in text


def test_secrets_nested_in_an_added_object_never_render() -> None:
    layer = {"model": "custom", "base_url": "https://x", "api_key": "sk-live-1"}
    (change,) = diff_documents({"pal_name": "a"}, {"pal_name": "a", "layers": {"llm": layer}})
    assert change.path == ("layers",)
    assert change.secret
    for text in (change.render(), change.text_diff(), repr(change)):
        assert "sk-live-1" not in text
    assert "[secret]" in change.render()


def test_changeset_is_sorted_immutable_and_renders() -> None:
    b = Change(("layers", "tts", "voice_id"), "change", "a", "b")
    a = Change(("greeting",), "add", new="x")
    changes = ChangeSet([b, a])
    assert list(changes) == [a, b]
    assert changes[0] == a
    assert isinstance(changes[:1], ChangeSet)
    assert changes.paths == (("greeting",), ("layers", "tts", "voice_id"))
    assert not changes.empty
    assert changes.render() == '+ greeting: "x"\n~ layers.tts.voice_id: "a" -> "b"'
    assert ChangeSet().empty and ChangeSet().render() == "no changes"
    assert ChangeSet([a, b]) == changes
    assert not hasattr(changes, "append")


def test_identical_documents_have_no_changes() -> None:
    doc = {"a": {"b": [1, {"c": 2}]}, "d": "x"}
    assert diff_documents(doc, {"a": {"b": [1, {"c": 2}]}, "d": "x"}).empty


@pytest.mark.parametrize(
    ("old", "new"), [(1, 1.0), (1, True), (0, False), (1.0, True), ("1", 1), (None, 0)]
)
def test_numbers_booleans_and_strings_are_never_confused(old: Any, new: Any) -> None:
    (change,) = diff_documents({"v": old}, {"v": new})
    assert (change.path, change.kind, change.old, change.new) == (("v",), "change", old, new)
    assert type(change.new) is type(new)
    (in_array,) = diff_documents({"v": [old]}, {"v": [new]})
    assert in_array.path == ("v",)


def test_arrays_are_reported_whole() -> None:
    current = {
        "layers": {"llm": {"tools": [{"function": {"name": "a"}}, {"function": {"name": "b"}}]}}
    }
    desired = {
        "layers": {"llm": {"tools": [{"function": {"name": "a"}}, {"function": {"name": "c"}}]}}
    }
    (change,) = diff_documents(current, desired)
    assert change.path == ("layers", "llm", "tools")
    assert change.kind == "change"
    assert change.new == desired["layers"]["llm"]["tools"]


def test_keys_are_added_removed_and_changed_at_their_own_paths() -> None:
    current = {"a": 1, "o": {"x": 1, "y": 2}}
    desired = {"b": 2, "o": {"z": 3, "w": 4}}
    changes = diff_documents(current, desired)
    assert [(c.path, c.kind) for c in changes] == [
        (("a",), "remove"),
        (("b",), "add"),
        (("o", "w"), "add"),
        (("o", "x"), "remove"),
        (("o", "y"), "remove"),
        (("o", "z"), "add"),
    ]


def test_whole_subtree_added_at_its_highest_missing_parent() -> None:
    (change,) = diff_documents({"a": 1}, {"a": 1, "layers": {"tts": {"voice_id": "v"}}})
    assert (change.path, change.kind, change.new) == (
        ("layers",),
        "add",
        {"tts": {"voice_id": "v"}},
    )


def test_root_type_change() -> None:
    (change,) = diff_documents([1], {"a": 1})
    assert (change.path, change.pointer, change.dotted) == ((), "", "(document)")


LLM = {"model": "custom", "base_url": "https://llm.example"}
SECRET = ("layers", "llm", "api_key")


def pal(**llm: Any) -> dict[str, Any]:
    return {
        "pal_name": "a",
        "system_prompt": "s",
        "default_face_id": "r1",
        "layers": {"llm": {**LLM, **llm}},
    }


def test_masked_live_secret_with_unchanged_declaration_is_no_change() -> None:
    assert diff_pal(pal(api_key=MASK), pal(api_key="sk-1")).empty


def test_changed_secret_is_one_secret_change() -> None:
    for spelling in (SECRET, "layers.llm.api_key", "/layers/llm/api_key"):
        (change,) = diff_pal(pal(api_key=MASK), pal(api_key="sk-2"), changed_secrets=[spelling])
        assert (change.path, change.kind, change.secret) == (SECRET, "change", True)
        assert change.render() == "~ layers.llm.api_key: [secret changed]"


def test_secret_missing_live_is_added_and_missing_declared_is_removed() -> None:
    (added,) = diff_pal(pal(), pal(api_key="sk-1"))
    assert (added.path, added.kind, added.secret) == (SECRET, "add", True)
    (removed,) = diff_pal(pal(api_key=MASK), pal())
    assert (removed.path, removed.kind, removed.secret) == (SECRET, "remove", True)


def test_unresolved_secret_reference_is_unknown_like_a_mask() -> None:
    ref = {"$secret": "llmApiKey"}
    assert diff_pal(pal(api_key=MASK), pal(api_key=ref)).empty
    assert diff_pal(pal(api_key={"$secret": "old"}), pal(api_key=ref)).empty
    (change,) = diff_pal(pal(api_key=MASK), pal(api_key=ref), changed_secrets=[SECRET])
    assert change.path == SECRET


def test_readable_secrets_are_compared_but_never_shown() -> None:
    (change,) = diff_pal(pal(api_key="sk-old"), pal(api_key="sk-new"))
    assert change.secret and "sk-" not in change.render() + repr(change)
    assert diff_pal(pal(api_key="sk-same"), pal(api_key="sk-same"), changed_secrets=[SECRET]).empty


def test_tool_auth_secrets_follow_the_same_rules() -> None:
    current = {"delivery": {"api": {"url": "https://x", "auth": {"type": "bearer", "token": MASK}}}}
    desired = {
        "delivery": {"api": {"url": "https://x", "auth": {"type": "bearer", "token": "tok-1"}}}
    }
    assert diff_documents(current, desired).empty
    (change,) = diff_documents(
        current, desired, changed_secrets=[("delivery", "api", "auth", "token")]
    )
    assert change.render() == "~ delivery.api.auth.token: [secret changed]"


def test_keys_with_leading_underscores_are_compared_like_any_other() -> None:
    """deepdiff's default skipped every key starting with `__` (ignore_private_variables)."""
    live = {"layers": {"llm": {"extra_body": {"__seed": 1, "_private": "a"}}}}
    declared = {"layers": {"llm": {"extra_body": {"__seed": 2, "_private": "a"}}}}

    changes = diff_documents(live, declared)

    assert [(c.dotted, c.old, c.new) for c in changes] == [("layers.llm.extra_body.__seed", 1, 2)]
    assert [c.dotted for c in diff_documents({"__x": 1}, {})] == ["__x"]
