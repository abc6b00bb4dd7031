"""Minimal RFC 6902 patches: conformance corpus, properties, and the reconciler's patch_for."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonpatch
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pal_provider.core import (
    MASK,
    JsonPatch,
    PatchOp,
    UnsendableSecretError,
    diff_pal,
    guarded_patch,
    make_patch,
    patch_for,
    strict_equal,
)
from pal_provider.core.fields import SERVER_OWNED
from pal_provider.core.jsonvalue import to_pointer
from tests.conftest import SHARED_DIR
from tests.core.strategies import (
    DECLARED_PAL,
    JSON,
    JSON_PAIRS,
    KEYS,
    SCALARS,
    SERVER_VOICE_KEY,
    secret_values,
    stored_by_server,
)

CONFORMANCE = SHARED_DIR / "conformance" / "json-patch"


def apply(patch: JsonPatch, doc: Any) -> Any:
    """Apply with the jsonpatch library (strict RFC 6902), never mutating ``doc``."""
    return jsonpatch.apply_patch(copy.deepcopy(doc), patch.to_json())


def conformance_pairs() -> Iterator[Any]:
    for name in ("tests.json", "spec_tests.json"):
        for index, record in enumerate(json.loads((CONFORMANCE / name).read_text())):
            if record.get("disabled") or "doc" not in record:
                continue
            docs = [record["doc"]]
            if "expected" in record:
                docs.append(record["expected"])
            for i, source in enumerate(docs):
                for j, target in enumerate(docs):
                    yield pytest.param(source, target, id=f"{name}#{index}:{'de'[i]}->{'de'[j]}")


@pytest.mark.parametrize(("source", "target"), list(conformance_pairs()))
def test_conformance_documents_round_trip(source: Any, target: Any) -> None:
    patch = make_patch(source, target)
    assert strict_equal(apply(patch, source), target)
    if strict_equal(source, target):
        assert patch.empty


def test_conformance_corpus_was_found() -> None:
    assert len(list(conformance_pairs())) > 150


@given(JSON_PAIRS)
def test_patch_turns_source_into_target(pair: tuple[Any, Any]) -> None:
    source, target = pair
    before = copy.deepcopy(source)
    patch = make_patch(source, target)
    assert strict_equal(apply(patch, source), target)
    assert strict_equal(source, before)


@given(JSON)
def test_same_document_gives_empty_patch(doc: Any) -> None:
    assert make_patch(doc, copy.deepcopy(doc)).empty


@given(JSON_PAIRS)
def test_every_operation_is_needed(pair: tuple[Any, Any]) -> None:
    source, target = pair
    patch = make_patch(source, target)
    pointers = [op.path for op in patch]
    assert len(set(pointers)) == len(pointers)
    for a in pointers:
        for b in pointers:
            assert a == b or not b.startswith(a + "/"), "an op inside another op's subtree"
    for skipped in range(len(patch)):
        partial = JsonPatch(op for i, op in enumerate(patch) if i != skipped)
        assert not strict_equal(apply(partial, source), target)


@st.composite
def doc_and_leaf(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An object document and the path of one of its non-container leaves (objects only)."""
    doc = draw(st.dictionaries(KEYS, JSON, min_size=1, max_size=4))
    path: tuple[str, ...] = ()
    node: Any = doc
    while isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        path += (key,)
        node = node[key]
    return doc, path


@given(doc_and_leaf(), SCALARS)
def test_one_changed_leaf_is_one_replace(
    case: tuple[dict[str, Any], tuple[str, ...]], value: Any
) -> None:
    doc, path = case
    target = copy.deepcopy(doc)
    node = target
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    node[path[-1]] = value
    patch = make_patch(doc, target)
    if strict_equal(old, value):
        assert patch.empty
    else:
        assert patch.to_json() == [{"op": "replace", "path": to_pointer(path), "value": value}]


@given(doc_and_leaf())
def test_one_removed_key_is_one_remove(case: tuple[dict[str, Any], tuple[str, ...]]) -> None:
    doc, path = case
    target = copy.deepcopy(doc)
    node = target
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    assert make_patch(doc, target).to_json() == [{"op": "remove", "path": to_pointer(path)}]


def test_missing_parent_is_added_whole_in_one_op() -> None:
    patch = make_patch({"a": 1}, {"a": 1, "layers": {"tts": {"voice_id": "v", "x/y": {"~": 1}}}})
    assert patch.to_json() == [
        {"op": "add", "path": "/layers", "value": {"tts": {"voice_id": "v", "x/y": {"~": 1}}}}
    ]


def test_arrays_and_type_changes_are_replaced_whole() -> None:
    assert make_patch({"a": [1, 2, 3]}, {"a": [1, 2, 4]}).to_json() == [
        {"op": "replace", "path": "/a", "value": [1, 2, 4]}
    ]
    assert make_patch({"a": {"b": 1}}, {"a": "b"}).to_json() == [
        {"op": "replace", "path": "/a", "value": "b"}
    ]
    assert make_patch({"a": 1}, {"a": 1.0}).to_json() == [
        {"op": "replace", "path": "/a", "value": 1.0}
    ]
    assert make_patch({"a": 1}, {"a": True}).to_json() == [
        {"op": "replace", "path": "/a", "value": True}
    ]


def test_root_replacement() -> None:
    assert make_patch([1], {"a": 1}).to_json() == [{"op": "replace", "path": "", "value": {"a": 1}}]
    assert make_patch(1, 2).to_json() == [{"op": "replace", "path": "", "value": 2}]


def test_operations_come_in_key_order() -> None:
    patch = make_patch({"b": 1, "a": 1, "c": {"y": 1}}, {"c": {"x": 2}, "d": 1, "a": 2})
    assert [(op.op, op.path) for op in patch] == [
        ("replace", "/a"),
        ("remove", "/b"),
        ("add", "/c/x"),
        ("remove", "/c/y"),
        ("add", "/d"),
    ]


def test_patch_values_do_not_alias_the_target() -> None:
    target = {"a": {"b": [1]}}
    patch = make_patch({}, target)
    target["a"]["b"].append(2)
    assert patch.to_json() == [{"op": "add", "path": "/a", "value": {"b": [1]}}]


def test_patch_op_and_json_patch_value_types() -> None:
    op = PatchOp("remove", "/a~1b")
    assert op.to_json() == {"op": "remove", "path": "/a~1b"}
    assert PatchOp("add", "/a", 1) == PatchOp("add", "/a", 1)
    with pytest.raises(ValueError, match="add, remove, replace or test"):
        PatchOp("move", "/a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be empty or start with '/'"):
        PatchOp("add", "a", 1)
    patch = JsonPatch([op])
    assert not patch.empty and JsonPatch().empty
    assert patch[0] is op and isinstance(patch[:1], JsonPatch)
    assert patch == JsonPatch([PatchOp("remove", "/a~1b")])


def test_redaction_masks_secret_values_for_logging() -> None:
    patch = JsonPatch(
        [
            PatchOp("replace", "/layers/llm/api_key", "sk-live-1"),
            PatchOp("add", "/layers/tts", {"voice_id": "v", "api_key": "sk-live-2"}),
            PatchOp("replace", "/greeting", "hi"),
        ]
    )
    assert patch.redacted() == [
        {"op": "replace", "path": "/layers/llm/api_key", "value": MASK},
        {"op": "add", "path": "/layers/tts", "value": {"voice_id": "v", "api_key": MASK}},
        {"op": "replace", "path": "/greeting", "value": "hi"},
    ]
    assert patch.to_json()[0]["value"] == "sk-live-1"
    for text in (repr(patch), repr(patch[0]), str(patch)):
        assert "sk-live" not in text


# --- patch_for ----------------------------------------------------------------------------

LIVE: dict[str, Any] = {
    "pal_id": "pcb7a34da5fe",
    "pal_name": "Guide",
    "created_at": "2025-01-01T00:00:00Z",
    "owner_id": "u1",
    "system_prompt": "Be kind.",
    "pipeline_mode": "full",
    "default_face_id": "r1",
    "server_note": {"kept": True},
    "layers": {
        "llm": {
            "model": "custom",
            "base_url": "https://llm.example",
            "api_key": MASK,
            "speculative_inference": True,
        },
        "tts": {
            "voice_id": "v1",
            "pronunciation_dictionary_id": "d1",
            "voice_settings": {SERVER_VOICE_KEY: [{"id": "x"}], "speed": 1.0},
        },
    },
}


def desired(**changes: Any) -> dict[str, Any]:
    doc = {
        k: copy.deepcopy(v)
        for k, v in LIVE.items()
        if k in {"pal_name", "system_prompt", "default_face_id"}
    }
    doc["layers"] = {
        "llm": {"model": "custom", "base_url": "https://llm.example", "api_key": "sk-1"},
        "tts": {
            "voice_id": "v1",
            "pronunciation_dictionary_id": "d1",
            "voice_settings": {"speed": 1.0},
        },
    }
    doc.update(changes)
    return doc


def test_in_sync_pal_gives_empty_patch() -> None:
    assert patch_for(LIVE, desired()).empty


def test_unchanged_masked_secret_is_never_sent() -> None:
    patch = patch_for(LIVE, desired(greeting="Hi"))
    assert patch.to_json() == [{"op": "add", "path": "/greeting", "value": "Hi"}]


def test_changed_secret_is_one_replace_with_the_declared_value() -> None:
    patch = patch_for(LIVE, desired(), changed_secrets=[("layers", "llm", "api_key")])
    assert patch.to_json() == [{"op": "replace", "path": "/layers/llm/api_key", "value": "sk-1"}]
    assert patch.redacted() == [{"op": "replace", "path": "/layers/llm/api_key", "value": MASK}]


def test_new_secret_is_added() -> None:
    want = desired()
    want["layers"]["tts"]["api_key"] = "sk-tts"
    assert patch_for(LIVE, want).to_json() == [
        {"op": "add", "path": "/layers/tts/api_key", "value": "sk-tts"}
    ]


@pytest.mark.parametrize(
    ("value", "reason"), [(MASK, "masked"), ({"$secret": "llmKey"}, "unresolved secret reference")]
)
def test_unsendable_secret_values_are_refused(value: Any, reason: str) -> None:
    want = desired()
    want["layers"]["llm"]["api_key"] = value
    with pytest.raises(
        UnsendableSecretError, match=rf"layers\.llm\.api_key: the value to send is .*{reason}"
    ):
        patch_for(LIVE, want, changed_secrets=["layers.llm.api_key"])
    assert patch_for(LIVE, want).empty


def test_unmanaged_and_server_owned_fields_are_never_touched() -> None:
    patch = patch_for(LIVE, desired(pal_name="New"))
    assert patch.to_json() == [{"op": "replace", "path": "/pal_name", "value": "New"}]


def test_everything_declared_is_owned_without_managed_only() -> None:
    patch = patch_for(LIVE, desired(), managed_only=False)
    assert patch.to_json() == [{"op": "remove", "path": "/server_note"}]


def test_server_written_voice_settings_are_kept() -> None:
    want = desired()
    want["layers"]["tts"]["voice_settings"] = {"speed": 1.2, "stability": 0.5}
    patch = patch_for(LIVE, want)
    assert patch.to_json() == [
        {"op": "replace", "path": "/layers/tts/voice_settings/speed", "value": 1.2},
        {"op": "add", "path": "/layers/tts/voice_settings/stability", "value": 0.5},
    ]


def test_voice_settings_added_next_to_server_keys_are_merged_not_overwritten() -> None:
    live = copy.deepcopy(LIVE)
    live["layers"]["tts"]["voice_settings"] = {SERVER_VOICE_KEY: [{"id": "x"}]}
    want = desired()
    want["layers"]["tts"]["voice_settings"] = {"speed": 1.2}
    assert patch_for(live, want).to_json() == [
        {"op": "add", "path": "/layers/tts/voice_settings/speed", "value": 1.2}
    ]


def test_legacy_spellings_in_the_live_document_are_patched_where_they_are() -> None:
    live = {
        "persona_name": "Old",
        "system_prompt": "s",
        "default_face_id": "r1",
        "layers": {"conversational_flow": {"replica_interruptibility": "low"}},
    }
    want = {
        "pal_name": "New",
        "system_prompt": "s",
        "default_face_id": "r1",
        "layers": {"conversational_flow": {"face_interruptibility": "high"}},
    }
    patch = patch_for(live, want)
    result = apply(patch, live)
    assert diff_pal(result, want).empty
    assert [(op.op, op.path) for op in patch] == [
        ("replace", "/layers/conversational_flow/replica_interruptibility"),
        ("replace", "/persona_name"),
    ]


def test_missing_layers_are_created_in_one_add() -> None:
    live = {"pal_name": "a", "system_prompt": "s", "default_face_id": "r1"}
    want = {**live, "layers": {"tts": {"voice_id": "v"}, "stt": {"hotwords": "Tavus"}}}
    patch = patch_for(live, want)
    assert patch.to_json() == [
        {
            "op": "add",
            "path": "/layers",
            "value": {"tts": {"voice_id": "v"}, "stt": {"hotwords": "Tavus"}},
        }
    ]


def test_one_changed_tool_replaces_the_tools_array_only() -> None:
    tools = [
        {"type": "function", "function": {"name": f"t{i}", "description": "d"}} for i in range(5)
    ]
    live = copy.deepcopy(LIVE)
    live["layers"]["llm"]["tools"] = tools
    want = desired()
    want["layers"]["llm"]["tools"] = copy.deepcopy(tools)
    want["layers"]["llm"]["tools"][2]["function"]["description"] = "new"
    (op,) = patch_for(live, want)
    assert (op.op, op.path) == ("replace", "/layers/llm/tools")


def test_removing_a_declared_field_removes_it() -> None:
    live = {**copy.deepcopy(LIVE), "greeting": "Hi"}
    assert patch_for(live, desired()).to_json() == [{"op": "remove", "path": "/greeting"}]


def test_inputs_are_not_modified() -> None:
    live, want = copy.deepcopy(LIVE), desired(greeting="x", layers={"stt": {"hotwords": "h"}})
    before = (repr(live), repr(want))
    patch_for(live, want, changed_secrets=["layers.llm.api_key"])
    assert (repr(live), repr(want)) == before


@st.composite
def reconcile_case(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], set[tuple[str, ...]]]:
    """A live PAL stored by the server from one declaration, a new declaration, and the secret
    paths whose declared values changed (as the caller would know from its state)."""
    before = draw(DECLARED_PAL)
    after = draw(DECLARED_PAL)
    live = draw(stored_by_server(before))
    old, new = secret_values(before), secret_values(after)
    changed = {path for path, value in new.items() if path in old and old[path] != value}
    return live, after, changed


@given(reconcile_case())
def test_patch_for_reconciles_any_live_pal_to_any_declaration(
    case: tuple[dict[str, Any], dict[str, Any], set[tuple[str, ...]]],
) -> None:
    live, want, changed = case
    patch = patch_for(live, want, changed_secrets=changed)
    result = apply(patch, live)
    assert diff_pal(result, want).empty, diff_pal(result, want).render()
    assert patch_for(result, want).empty
    for key in SERVER_OWNED | {"unknown_server_field"}:
        assert strict_equal(result.get(key), live.get(key))
    for op in patch.to_json():
        assert MASK not in json.dumps(op.get("value"))
        assert op["path"].split("/")[1] not in SERVER_OWNED | {"unknown_server_field"}
    live_tts = live.get("layers", {}).get("tts", {})
    if SERVER_VOICE_KEY in live_tts.get("voice_settings", {}) and "pronunciation_dictionary_id" in (
        want.get("layers", {}).get("tts", {})
    ):
        assert SERVER_VOICE_KEY in result["layers"]["tts"]["voice_settings"]
    for path, value in secret_values(want).items():
        if path in changed:
            assert {"op": "replace", "path": to_pointer(path), "value": value} in patch.to_json()


@given(DECLARED_PAL.flatmap(lambda d: stored_by_server(d).map(lambda live: (d, live))))
def test_patch_for_a_freshly_created_pal_is_empty(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    declared_pal, live = pair
    assert patch_for(live, declared_pal).empty


# -- guarded patches (an update without a read) ---------------------------------------------


def masked_secrets(declared: dict[str, Any]) -> dict[str, Any]:
    """What palfleet stores of a declaration it applied, as the API would show it."""
    stored = copy.deepcopy(declared)
    for name, layer in (stored.get("layers") or {}).items():
        if isinstance(layer, dict) and "api_key" in layer:
            stored["layers"][name]["api_key"] = MASK
    return stored


@given(reconcile_case())
def test_a_guarded_patch_applies_to_what_was_stored_and_guards_every_plain_change(
    case: tuple[dict[str, Any], dict[str, Any], set[tuple[str, ...]]],
) -> None:
    live, want, changed = case
    stored = masked_secrets(
        {k: v for k, v in live.items() if k not in SERVER_OWNED | {"unknown_server_field"}}
    )
    guarded = guarded_patch(stored, want, changed_secrets=changed)
    if guarded is None:
        return
    ops = guarded.to_json()
    secret_pointers = {to_pointer(path) for path in changed}
    for index, op in enumerate(ops):
        if op["op"] == "test" or op["path"] in secret_pointers:
            continue
        if op["op"] == "add" and (index == 0 or ops[index - 1]["path"] != op["path"]):
            continue  # a member new to the stored document: nothing to test
        assert index > 0, ops
        assert (ops[index - 1]["op"], ops[index - 1]["path"]) == ("test", op["path"])
    result = apply(guarded, stored)
    assert diff_pal(result, want).empty, diff_pal(result, want).render()
    for op in ops:
        if op["op"] == "test":
            assert MASK not in json.dumps(op["value"])


def test_a_guarded_patch_is_refused_whole_when_the_pal_changed_since() -> None:
    stored = masked_secrets(desired(system_prompt="Be brief.", context="Old context."))
    want = desired(system_prompt="Be kind.", context="Old context.")
    guarded = guarded_patch(stored, want)
    assert guarded is not None
    assert guarded.to_json() == [
        {"op": "test", "path": "/system_prompt", "value": "Be brief."},
        {"op": "replace", "path": "/system_prompt", "value": "Be kind."},
    ]
    edited = {**stored, "system_prompt": "Edited in the dashboard."}
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        apply(guarded, edited)


def test_a_new_member_is_added_unguarded_under_a_stored_parent() -> None:
    stored = masked_secrets(desired(system_prompt="Be brief."))
    guarded = guarded_patch(stored, desired(system_prompt="Be brief.", context="New."))
    assert guarded is not None
    assert guarded.to_json() == [{"op": "add", "path": "/context", "value": "New."}]


def test_a_guarded_patch_is_none_for_a_masked_stored_value() -> None:
    with_key = desired(layers={"tts": {"tts_engine": "cartesia", "api_key": MASK}})
    assert guarded_patch(with_key, desired(layers={})) is None


def test_a_changed_secret_is_replaced_without_a_guard() -> None:
    stored = desired(layers={"tts": {"tts_engine": "cartesia", "api_key": MASK}})
    want = desired(layers={"tts": {"tts_engine": "cartesia", "api_key": "new-key"}})
    guarded = guarded_patch(stored, want, changed_secrets=[("layers", "tts", "api_key")])
    assert guarded is not None
    assert guarded.to_json() == [
        {"op": "replace", "path": "/layers/tts/api_key", "value": "new-key"}
    ]
