"""The engine stand-in behaves like the Pulumi engine where palfleet's correctness depends on it.

One test (or more) per row of docs/engine-fidelity.md; each would fail on the stand-in as it
was before the row was modelled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pal_engine import Engine, ProjectError
from pal_engine.stack_lock import StackLock, StackLocked

from pal_engine_tests.conftest import (
    PASSPHRASE,
    PASSWORD,
    SAMPLE_PROJECT,
    EngineFactory,
    read_record,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SHELF = "urn:pulumi:dev::sample::pulumi-python:dynamic:Resource::shelf"
BOOK = "urn:pulumi:dev::sample::pulumi-python:dynamic:Resource::book"


def own_engine(checkpoint: Path, records: Path, **knobs: str) -> Engine:
    """An engine with its own provider host, configured from this engine's config."""
    config = {"recordsDir": str(records), "shelfPassword": PASSWORD, **knobs}
    return Engine(SAMPLE_PROJECT, "dev", checkpoint, config, {"shelfPassword"}, PASSPHRASE)


# -- up previews first ----------------------------------------------------------------------------


def test_up_previews_first_and_skip_preview_does_not(make_engine: EngineFactory) -> None:
    result = make_engine().up()
    assert result.preview is not None
    assert [s.op for s in result.preview.steps] == ["create", "create"]
    assert result.ok and result.render().count("preview of stack") == 1

    again = make_engine(bookTitle="Emma").up(skip_preview=True)
    assert again.preview is None and again.step("book").op == "update"


# -- preview semantics ----------------------------------------------------------------------------


def test_preview_hands_unknown_ids_to_dependents_and_calls_no_create(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    before = set(records_dir.iterdir())
    result = make_engine().preview()
    assert result.ok
    assert result.outputs["book_shelf"] == "Dune on shelf"
    assert result.outputs["shelf_id"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # rpc.UNKNOWN
    assert set(records_dir.iterdir()) == before


# -- same steps -----------------------------------------------------------------------------------


def test_a_same_step_stores_the_new_inputs_and_keeps_the_old_outputs(
    make_engine: EngineFactory,
) -> None:
    first = make_engine().up().resource("shelf")

    result = make_engine(shelfComment="a note").up()

    assert result.step("shelf").op == "same"
    shelf = result.resource("shelf")
    assert shelf.inputs["comment"] == "a note"
    assert shelf.outputs == first.outputs and shelf.id == first.id


def test_an_unchanged_resource_causes_no_checkpoint_write(
    make_engine: EngineFactory, checkpoint_path: Path
) -> None:
    first = make_engine().up()
    written = checkpoint_path.stat().st_mtime_ns

    result = make_engine().up()

    assert {s.op for s in result.steps} == {"same"}
    assert first.checkpoint_writes > 0 and result.checkpoint_writes == 0
    assert checkpoint_path.stat().st_mtime_ns == written


# -- refresh --------------------------------------------------------------------------------------


def test_refresh_asks_the_providers_diff_whether_a_change_matters(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    shelf = make_engine().up().resource("shelf")
    path = records_dir / f"{shelf.id}.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "extra": "server-side field"}))

    quiet = make_engine().refresh()
    assert quiet.step("shelf").op == "read-same"  # the provider's Diff ignores `extra`
    assert quiet.resource("shelf").outputs["extra"] == "server-side field"  # but it is stored

    path.write_text(json.dumps({**record, "title": "edited"}))
    loud = make_engine().refresh()
    assert loud.step("shelf").op == "refresh-changed"


def test_up_with_refresh_refreshes_first_under_the_same_lock(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    shelf = make_engine().up().resource("shelf")
    path = records_dir / f"{shelf.id}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "title": "edited"}))

    result = make_engine().up(refresh=True)

    assert [r.operation for r in result.preceded_by] == ["refresh", "preview"]
    assert result.preceded_by[0].step("shelf").op == "refresh-changed"
    assert result.step("shelf").op == "update"
    assert read_record(records_dir, shelf.id)["title"] == "main"


def test_refresh_and_destroy_use_the_provider_config_of_the_last_up(tmp_path: Path) -> None:
    """EnsureProvider loads the default provider from state: a config changed since the last
    `up` does not reach refresh or destroy until the next `up`."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    checkpoint = tmp_path / "ck.json"
    created = own_engine(checkpoint, old_dir).up()
    assert created.ok, created.render()
    stored = own_engine(checkpoint, old_dir).state().provider
    assert stored is not None and stored.inputs["sample:recordsDir"] == str(old_dir)
    assert PASSWORD.encode() not in checkpoint.read_bytes()

    refreshed = own_engine(checkpoint, new_dir).refresh()
    assert {s.op for s in refreshed.steps} == {"read-same"}, refreshed.render()

    destroyed = own_engine(checkpoint, new_dir).destroy()
    assert destroyed.ok and list(old_dir.iterdir()) == []


# -- pending operations, kills and orphans ---------------------------------------------------------


def _cli(tmp_path: Path, operation: str, *extra: str) -> list[str]:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"shelfPassword: {PASSWORD}\n")
    return [
        sys.executable,
        "-m",
        "pal_engine",
        operation,
        "--project",
        str(SAMPLE_PROJECT),
        "--stack",
        "dev",
        "--checkpoint",
        str(tmp_path / "ck.json"),
        "--config",
        f"recordsDir={tmp_path / 'records'}",
        "--secrets-file",
        str(secrets),
        *extra,
    ]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_killed_engine_leaves_a_pending_create_no_orphan_and_refresh_resolves_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "records").mkdir()
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    command = _cli(tmp_path, "up", "--skip-preview", "--config", "bookSleep=30")
    engine = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)
    checkpoint = tmp_path / "ck.json"

    def book_pending() -> bool:
        try:
            pending = json.loads(checkpoint.read_text())["pending_operations"]
        except (OSError, ValueError, KeyError):
            return False
        return any(op["type"] == "creating" and op["resource"]["name"] == "book" for op in pending)

    # The shelf's create is pending for a moment too: wait for the book's (it sleeps 30 s).
    assert _wait_for(book_pending), "the book's create never started"
    servers = _children(engine.pid)
    assert servers, "the provider server runs as the engine's child"

    engine.send_signal(signal.SIGKILL)
    engine.wait(timeout=10)

    assert _wait_for(lambda: not any(_alive(pid) for pid in servers)), "orphan provider server"
    state = Engine(SAMPLE_PROJECT, "dev", checkpoint, {}, set(), PASSPHRASE).state()
    assert [(op.type, op.resource.name) for op in state.pending_operations] == [
        ("creating", "book")
    ]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _cli(tmp_path, *args), cwd=REPO_ROOT, env=env, capture_output=True, text=True
        )

    up = run("up")
    assert "1 pending operations from previous deployment" in up.stdout
    assert f"{BOOK}, interrupted while creating" in up.stdout
    kept = run("refresh")
    assert kept.returncode == 1 and "--clear-pending-creates" in kept.stdout
    cleared = run("refresh", "--clear-pending-creates")
    assert cleared.returncode == 0, cleared.stdout
    assert "pending operations from previous deployment" not in run("up").stdout


def test_refresh_can_import_a_pending_create_that_did_happen(
    make_engine: EngineFactory, checkpoint_path: Path, records_dir: Path
) -> None:
    created = make_engine().up()
    book = created.resource("book")
    snapshot = make_engine().state()
    # As if the engine had died after the provider created the book but before recording it.
    from pal_engine.checkpoint import Checkpoint, PendingOperation

    Checkpoint(checkpoint_path, PASSPHRASE).save(
        snapshot.model_copy(
            update={
                "resources": tuple(r for r in snapshot.resources if r.name != "book"),
                "pending_operations": (
                    PendingOperation(type="creating", resource=book.model_copy(update={"id": ""})),
                ),
            }
        )
    )

    result = make_engine().refresh(import_pending_creates={BOOK: book.id})

    assert result.ok, result.render()
    assert result.resource("book").id == book.id
    assert make_engine().state().pending_operations == ()
    assert make_engine().up().step("book").op == "same"


# -- stack lock -----------------------------------------------------------------------------------


def test_a_second_operation_on_a_locked_stack_refuses_at_once(
    make_engine: EngineFactory, checkpoint_path: Path
) -> None:
    with StackLock(checkpoint_path):
        started = time.monotonic()
        with pytest.raises(StackLocked, match="currently locked"):
            make_engine().up()
        with pytest.raises(StackLocked):
            make_engine().destroy()
        assert time.monotonic() - started < 5
    assert make_engine().up().ok


# -- Ctrl-C ---------------------------------------------------------------------------------------


def test_cancel_lets_the_step_in_flight_finish_and_starts_no_other(
    make_engine: EngineFactory,
) -> None:
    engine = make_engine(shelfSleep="1.5")
    timer = threading.Timer(0.8, engine.cancel)
    timer.start()
    try:
        result = engine.up(skip_preview=True)
    finally:
        timer.cancel()

    assert result.cancelled and not result.ok
    assert [(s.name, s.op, s.failed) for s in result.steps] == [("shelf", "create", False)]
    assert result.not_started == 1
    assert result.errors == ["cancelled by the user (Ctrl-C)"]
    assert result.pending_operations == []


def test_ctrl_c_on_the_command_line_exits_130_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    command = _cli(tmp_path, "up", "--skip-preview", "--config", "shelfSleep=2")
    engine = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    checkpoint = tmp_path / "ck.json"
    assert _wait_for(lambda: checkpoint.exists() and '"creating"' in checkpoint.read_text())
    # A terminal's Ctrl-C signals the whole foreground process group; the provider server
    # has its own, so the create in flight finishes.
    os.killpg(engine.pid, signal.SIGINT)
    out, err = engine.communicate(timeout=30)

    assert engine.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "cancelled by the user" in out
    assert "shelf  created" in out and "1 not started" in out


# -- --replace and --target -----------------------------------------------------------------------


def test_replace_recreates_without_asking_the_provider(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    old = make_engine().up().resource("shelf")

    result = make_engine().up(replace=[SHELF])

    assert result.ok, result.render()
    assert result.step("shelf").op == "replace" and result.step("shelf").replaces == ["id"]
    assert result.resource("shelf").id != old.id
    assert not (records_dir / f"{old.id}.json").exists()
    assert result.step("book").op == "update"


def test_the_resource_option_decides_delete_before_replace(make_engine: EngineFactory) -> None:
    """goal.DeleteBeforeReplace wins over the provider's answer (the sample says False)."""
    make_engine(shelfDeleteBeforeReplace="true").up()

    result = make_engine(shelfDeleteBeforeReplace="true").up(replace=[SHELF])

    # Deleted first: a pending delete was cleared before the create began.
    assert result.ok and result.step("shelf").op == "replace"


def test_target_changes_only_the_targeted_resources(
    make_engine: EngineFactory, records_dir: Path
) -> None:
    first = make_engine().up()

    result = make_engine(shelfLabel="renamed", bookTitle="Emma").up(targets=[BOOK])

    assert result.step("shelf").op == "same"
    assert result.resource("shelf").inputs["title"] == "main"  # old state kept
    assert result.step("book").op == "update"
    assert read_record(records_dir, first.resource("shelf").id)["title"] == "main"


def test_target_skips_the_create_of_an_untargeted_resource(make_engine: EngineFactory) -> None:
    result = make_engine().up(targets=[SHELF])

    assert result.step("shelf").op == "create"
    assert result.step("book").op == "skip" and not result.step("book").failed
    assert [r.name for r in result.resources.values()] == ["shelf"]


# -- project config -------------------------------------------------------------------------------


def test_a_missing_required_project_key_stops_before_the_program(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nconfig:\n  demo:url: {type: string}\n"
    )
    (project / "__main__.py").write_text("raise SystemExit('the program must not run')\n")

    with pytest.raises(ProjectError, match="missing configuration value demo:url"):
        Engine(project, "prod", tmp_path / "ck.json", {}, set(), PASSPHRASE)

    engine = Engine(project, "prod", tmp_path / "ck.json", {"url": "x"}, set(), PASSPHRASE)
    assert engine.config["demo:url"] == "x"


def test_the_program_gets_the_language_hosts_executor(make_engine: EngineFactory) -> None:
    """pulumi-language-python-exec sizes the default executor parallel x 4 (the real default
    parallel is 4 x cores); the stand-in's parallelism is 4, so 16 registrations in flight."""
    result = make_engine(showExecutor="true").preview()
    assert result.ok, result.render()
    assert result.outputs["executor_workers"] == 16
