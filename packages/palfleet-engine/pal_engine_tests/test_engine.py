"""Lifecycle of the sample project through the engine stand-in (real provider server, gRPC)."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import dill
import pytest
from pal_engine import BANNER, UNKNOWN
from pal_engine.checkpoint import ResourceState, Snapshot
from pal_engine.deployment import GroupCommit, delete_antichains

from pal_engine_tests.conftest import PASSWORD, SAMPLE_PROJECT, EngineFactory, read_record


def test_up_creates_both_and_the_dependent_sees_the_real_id(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    result = make_engine().up()

    assert result.ok, result.render()
    assert {step.name: step.op for step in result.steps} == {"shelf": "create", "book": "create"}
    shelf, book = result.resource("shelf"), result.resource("book")
    assert shelf.id and book.id and shelf.id != book.id
    assert book.inputs["shelf_id"] == shelf.id
    assert read_record(records_dir, book.id)["shelf_id"] == shelf.id
    assert book.dependencies == (shelf.urn,)
    assert shelf.urn == "urn:pulumi:dev::sample::pulumi-python:dynamic:Resource::shelf"
    assert result.outputs["shelf_id"] == shelf.id
    assert result.outputs["book_shelf"] == "Dune on shelf"
    assert result.exit_code == 0


def test_second_preview_and_up_are_empty(make_engine: EngineFactory) -> None:
    make_engine().up()
    before = make_engine().state()

    preview = make_engine().preview()
    again = make_engine().up()

    assert {step.op for step in preview.steps} == {"same"}
    assert {step.op for step in again.steps} == {"same"}
    assert not again.changed and again.ok
    assert preview.outputs["shelf_id"] == again.outputs["shelf_id"]
    assert make_engine().state().resources == before.resources


def test_parallel_steps_share_checkpoint_writes() -> None:
    """Group commit: changes made while a write runs are covered by one later write."""
    saved: list[int] = []
    release = threading.Event()

    def save(snapshot: Snapshot) -> None:
        saved.append(len(snapshot.resources))
        release.wait(5)

    commits = GroupCommit(save)
    snapshots = [
        Snapshot(resources=(ResourceState(urn=f"u{i}", type="t", name="n"),) * i)
        for i in range(1, 6)
    ]
    first = threading.Thread(target=commits.commit, args=(1, snapshots[0]))
    first.start()
    while not saved:
        time.sleep(0.001)
    later = [
        threading.Thread(target=commits.commit, args=(version, snapshots[version - 1]))
        for version in range(2, 6)
    ]
    for thread in later:
        thread.start()
    deadline = time.monotonic() + 5
    while commits.requested < 5 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in [first, *later]:
        thread.join(5)

    assert saved == [1, 5]  # the first write, then one write of the newest snapshot
    assert commits.writes == 2


def test_preview_of_a_new_stack_writes_nothing(
    make_engine: EngineFactory, checkpoint_path: Path, records_dir: Path
) -> None:
    files_before = set(records_dir.iterdir())

    result = make_engine().preview()

    assert [step.op for step in result.steps] == ["create", "create"]
    assert result.outputs["shelf_id"] == UNKNOWN
    assert not checkpoint_path.exists()
    assert set(records_dir.iterdir()) == files_before
    assert result.render().splitlines()[0].startswith(BANNER)
    assert "to create" in result.render()


def test_changing_an_input_updates_exactly_that_resource(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    first = make_engine().up()

    preview = make_engine(bookTitle="Emma").preview()
    result = make_engine(bookTitle="Emma").up()

    for run in (preview, result):
        assert run.step("shelf").op == "same"
        assert run.step("book").op == "update"
        assert run.step("book").changed_keys == ["title"]
    assert result.resource("book").id == first.resource("book").id
    assert read_record(records_dir, first.resource("book").id)["title"] == "Emma"
    assert result.outputs["book_shelf"] == "Emma on shelf"
    assert "~ 1 updated" in result.render()


def test_replacement_creates_a_new_resource_and_deletes_the_old(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    old_shelf = make_engine().up().resource("shelf")

    result = make_engine(shelfKind="crate").up()

    assert result.ok, result.render()
    assert result.step("shelf").op == "replace"
    assert result.step("shelf").replaces == ["kind"]
    new_shelf = result.resource("shelf")
    assert new_shelf.id != old_shelf.id
    assert not (records_dir / f"{old_shelf.id}.json").exists()
    assert result.step("book").op == "update"
    assert result.resource("book").inputs["shelf_id"] == new_shelf.id


def test_delete_before_replace_removes_the_old_resource_first(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    old_shelf = make_engine(shelfDeleteBeforeReplace="true").up().resource("shelf")

    result = make_engine(shelfDeleteBeforeReplace="true", shelfKind="crate").up()

    assert result.ok, result.render()
    assert result.step("shelf").op == "replace"
    assert result.resource("shelf").delete_before_replace is True
    assert not (records_dir / f"{old_shelf.id}.json").exists()
    assert read_record(records_dir, result.resource("shelf").id)["kind"] == "crate"


def test_removing_a_resource_from_the_program_deletes_it(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    book_id = make_engine().up().resource("book").id

    result = make_engine(withBook="false").up()

    assert result.step("book").op == "delete"
    assert result.step("shelf").op == "same"
    assert not (records_dir / f"{book_id}.json").exists()
    assert [resource.name for resource in result.resources.values()] == ["shelf"]
    assert "book_id" not in result.outputs


def test_destroy_deletes_dependents_first(make_engine: EngineFactory, records_dir: Path) -> None:
    created = make_engine().up()

    result = make_engine().destroy()

    assert [(step.name, step.op) for step in result.steps] == [
        ("book", "delete"),
        ("shelf", "delete"),
    ]
    assert result.resources == {} and result.outputs == {}
    for resource in created.resources.values():
        assert not (records_dir / f"{resource.id}.json").exists()


def test_refresh_records_out_of_band_change_then_up_restores_it(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    book_id = make_engine().up().resource("book").id
    record_file = records_dir / f"{book_id}.json"
    record_file.write_text(json.dumps({**read_record(records_dir, book_id), "title": "Edited"}))

    refreshed = make_engine().refresh()

    assert refreshed.step("book").op == "refresh-changed"
    assert refreshed.step("shelf").op == "read-same"
    assert refreshed.resource("book").inputs["title"] == "Edited"
    assert (
        make_engine().state().by_urn()[refreshed.resource("book").urn].inputs["title"] == "Edited"
    )
    preview = make_engine().preview()
    assert preview.step("book").op == "update" and preview.step("book").changed_keys == ["title"]
    make_engine().up()
    assert read_record(records_dir, book_id)["title"] == "Dune"


def test_refresh_drops_a_resource_deleted_out_of_band_and_up_recreates_it(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    old_shelf = make_engine().up().resource("shelf")
    (records_dir / f"{old_shelf.id}.json").unlink()

    refreshed = make_engine().refresh()
    result = make_engine().up()

    assert refreshed.step("shelf").op == "refresh-deleted"
    assert old_shelf.urn not in refreshed.resources
    assert result.step("shelf").op == "create"
    assert result.step("book").op == "update"
    assert result.resource("book").inputs["shelf_id"] == result.resource("shelf").id


def test_a_check_failure_fails_the_preview_that_up_runs_first_and_nothing_is_written(
    make_engine: EngineFactory, checkpoint_path: Path
) -> None:
    result = make_engine(shelfLabel="").up()

    preview = result.preview
    assert preview is not None
    shelf = preview.step("shelf")
    assert [(f.property, f.reason) for f in shelf.check_failures] == [
        ("title", "title must not be empty")
    ]
    assert preview.step("book").op == "skip"
    assert result.steps == [] and result.exit_code == 1
    assert result.errors[-1] == "the preview failed, so nothing was changed"
    assert result.resources == {} and not checkpoint_path.exists()
    assert "error: title: title must not be empty" in result.render()


def test_the_first_failed_step_cancels_the_run(make_engine: EngineFactory) -> None:
    """step_executor.go: an error cancels the deployment; no new step starts, nothing is
    deleted. The book depends on the shelf, so it is never registered with a known input."""
    failed_shelf = make_engine(shelfFailOn="create").up()

    error = failed_shelf.step("shelf").error or ""
    assert "planted create failure" in error
    assert PASSWORD not in error and "[secret]" in error
    assert PASSWORD not in failed_shelf.render()
    assert [step.name for step in failed_shelf.steps] == ["shelf"]
    assert failed_shelf.not_started == 1 and failed_shelf.cancelled
    assert "1 not started (the run was cancelled)" in failed_shelf.render()
    assert failed_shelf.exit_code == 1


def test_continue_on_error_skips_only_the_dependents_of_a_failure(
    make_engine: EngineFactory,
) -> None:
    failed_shelf = make_engine(shelfFailOn="create").up(continue_on_error=True)
    failed_book = make_engine(bookFailOn="create").up(continue_on_error=True)

    assert failed_shelf.step("book").op == "skip"
    assert failed_book.step("shelf").op == "create" and not failed_book.step("shelf").failed
    assert "planted create failure" in (failed_book.step("book").error or "")
    assert "book_id" not in failed_book.outputs and failed_book.outputs["shelf_id"]
    assert [r.name for r in failed_book.resources.values()] == ["shelf"]
    assert failed_book.exit_code == 1


def test_no_deletes_after_a_failed_step(make_engine: EngineFactory, records_dir: Path) -> None:
    created = make_engine().up()
    book_id = created.resource("book").id

    result = make_engine(withBook="false", shelfLabel="x", shelfFailOn="update").up()

    assert result.step("shelf").failed
    assert book_id in {r.id for r in result.resources.values()}
    assert (records_dir / f"{book_id}.json").exists()


def test_failed_update_keeps_the_previous_state(make_engine: EngineFactory) -> None:
    before = make_engine().up().resource("book")

    result = make_engine(bookTitle="Emma", bookFailOn="update").up()

    assert result.step("book").op == "update" and result.step("book").failed
    assert result.resource("book").inputs["title"] == before.inputs["title"]
    assert result.pending_operations == []


def test_program_error_is_reported_and_nothing_is_deleted(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    created = make_engine().up()

    result = make_engine(withBook="not-a-bool").up()

    assert result.exit_code == 1
    assert result.preview is not None
    # A RunError (here the SDK's ConfigTypeError) is shown as its message, without a traceback.
    assert any("sample:withBook" in error for error in result.preview.errors)
    assert not any("Traceback" in error or ".py" in error for error in result.preview.errors)
    assert set(result.resources) == set(created.resources)
    assert all((records_dir / f"{r.id}.json").exists() for r in created.resources.values())


def test_secrets_are_encrypted_at_rest_and_re_marked_on_outputs(
    make_engine: EngineFactory, checkpoint_path: Path
) -> None:
    result = make_engine().up()
    shelf, book = result.resource("shelf"), result.resource("book")

    raw = checkpoint_path.read_bytes()
    assert PASSWORD.encode() not in raw
    assert shelf.outputs["token"].encode() not in raw
    assert shelf.inputs["__provider"].encode() not in raw
    assert shelf.secret_inputs == {"password", "__provider"}
    assert {"password", "token"} <= shelf.secret_outputs
    assert "token" not in book.secret_outputs and book.outputs["token"].encode() in raw
    assert result.secret_outputs == {"shelf_token"}
    assert result.outputs["shelf_token"] == shelf.outputs["token"]
    assert shelf.outputs["token"] not in result.render()
    assert PASSWORD not in repr(shelf) and PASSWORD not in repr(result)
    reloaded = make_engine().state().by_urn()[shelf.urn]
    assert reloaded.inputs["password"] == PASSWORD
    assert reloaded.secret_outputs == shelf.secret_outputs


def test_provider_blob_decodes_to_the_sample_provider(
    make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(SAMPLE_PROJECT))
    shelf = make_engine().up().resource("shelf")

    provider = dill.loads(base64.b64decode(shelf.inputs["__provider"]))

    assert type(provider).__name__ == "RecordProvider"
    assert type(provider).__module__ == "sample_records.provider"


def test_deletes_run_in_antichains_dependents_first() -> None:
    """pkg/resource/deploy/step_generator.go: ScheduleDeletes; each chain runs in parallel."""

    def state(name: str, *needs: str, parent: str = "") -> ResourceState:
        return ResourceState(
            urn=name, type="t", name=name, custom=True, dependencies=needs, parent=parent
        )

    states = {
        s.urn: s
        for s in [
            state("stack"),
            state("shelf", parent="stack"),
            state("tool", parent="stack"),
            state("book", "shelf", "tool", parent="stack"),
            state("note", parent="stack"),
            state("page", "book", parent="stack"),
        ]
    }

    chains = delete_antichains(states, set(states))

    assert [sorted(chain) for chain in chains] == [
        ["note", "page"],
        ["book"],
        ["shelf", "tool"],
        ["stack"],
    ]
    # Only what is doomed: two unrelated resources go together.
    assert [sorted(chain) for chain in delete_antichains(states, {"shelf", "note"})] == [
        ["note", "shelf"]
    ]
