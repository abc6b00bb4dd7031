"""The encrypted JSON checkpoint."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
from pal_engine import Checkpoint, CheckpointError, ResourceState, Snapshot

SECRET = "planted-api-key-7f3a9c"
NESTED_SECRET = "planted-nested-llm-key"


def _snapshot() -> Snapshot:
    shelf = ResourceState(
        urn="urn:pulumi:dev::p::t::shelf",
        type="t",
        name="shelf",
        id="id-1",
        inputs={"password": SECRET, "layers": {"llm": {"api_key": NESTED_SECRET, "model": "m"}}},
        outputs={"password": SECRET, "token": "tok-1", "plain": "visible-value"},
        secret_inputs=frozenset({"password", "layers.llm.api_key"}),
        secret_outputs=frozenset({"password", "token"}),
        additional_secret_outputs=("token",),
    )
    book = ResourceState(
        urn="urn:pulumi:dev::p::t::book",
        type="t",
        name="book",
        id="id-2",
        inputs={"shelf_id": "id-1", "tags": ["a", SECRET]},
        secret_inputs=frozenset({"tags[1]"}),
        dependencies=(shelf.urn,),
    )
    return Snapshot(
        project="p",
        stack="dev",
        resources=(shelf, book),
        outputs={"token": "tok-1", "id": "id-1"},
        secret_outputs=frozenset({"token"}),
    )


def test_round_trip_restores_values_and_secret_paths(tmp_path: Path) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "pw").save(_snapshot())

    loaded = Checkpoint(path, "pw").load()

    assert loaded == _snapshot()


def test_no_secret_value_appears_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "pw").save(_snapshot())

    raw = path.read_bytes()

    for secret in (SECRET, NESTED_SECRET, "tok-1"):
        assert secret.encode() not in raw
    assert b"visible-value" in raw and b'"model":"m"' in raw
    document = json.loads(raw)
    assert document["resources"][0]["inputs"]["layers"]["llm"]["api_key"]["ciphertext"]


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "right").save(_snapshot())

    with pytest.raises(CheckpointError, match="incorrect passphrase"):
        Checkpoint(path, "wrong").load()
    with pytest.raises(CheckpointError, match="incorrect passphrase"):
        Checkpoint(path, "wrong").save(Snapshot())


def test_passphrase_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(CheckpointError, match="PULUMI_CONFIG_PASSPHRASE"):
        Checkpoint(tmp_path / "ck.json")

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-env")
    Checkpoint(tmp_path / "ck.json").save(_snapshot())
    assert Checkpoint(tmp_path / "ck.json", "from-env").load() == _snapshot()


def test_salt_is_kept_across_saves_and_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "pw").save(_snapshot())
    salt = json.loads(path.read_text())["encryption"]["salt"]

    Checkpoint(path, "pw").save(Snapshot(project="p", stack="dev"))

    assert json.loads(path.read_text())["encryption"]["salt"] == salt
    assert [p.name for p in tmp_path.iterdir()] == ["ck.json"]


def test_a_missing_file_is_an_empty_snapshot_and_a_foreign_file_an_error(tmp_path: Path) -> None:
    assert Checkpoint(tmp_path / "absent.json", "pw").load() == Snapshot()
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": 1}')

    with pytest.raises(CheckpointError, match="not a palfleet engine checkpoint"):
        Checkpoint(foreign, "pw").load()


def test_repr_masks_secrets() -> None:
    text = repr(_snapshot())

    assert SECRET not in text and NESTED_SECRET not in text and "tok-1" not in text
    assert "visible-value" in text


def _counting_scrypt(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    import pal_engine.checkpoint as module
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salts: list[bytes] = []

    def counting(*, salt: bytes, **kwargs: int) -> Scrypt:
        salts.append(salt)
        return Scrypt(salt=salt, **kwargs)

    monkeypatch.setattr(module, "Scrypt", counting)
    return salts


def _wait_for_key() -> None:
    for thread in threading.enumerate():
        if thread.name == "checkpoint-key":
            thread.join(timeout=10)


def test_a_prepared_key_serves_the_first_write_and_the_next_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    salts = _counting_scrypt(monkeypatch)
    path = tmp_path / "ck.json"
    checkpoint = Checkpoint(path, "pw")
    checkpoint.prepare_key()
    _wait_for_key()
    checkpoint.save(_snapshot())
    assert checkpoint.load().resources == _snapshot().resources
    stored = json.loads(path.read_text())["encryption"]["salt"]
    assert salts == [base64.b64decode(stored)]  # derived once, for the salt on file


def test_a_key_prepared_for_an_existing_file_still_checks_the_passphrase(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "pw").save(_snapshot())
    before = path.read_text()
    wrong = Checkpoint(path, "not-the-passphrase")
    wrong.prepare_key()
    _wait_for_key()
    with pytest.raises(CheckpointError, match="incorrect passphrase"):
        wrong.save(_snapshot())
    with pytest.raises(CheckpointError, match="incorrect passphrase"):
        wrong.load()
    assert path.read_text() == before


def test_a_key_prepared_for_a_file_on_disk_is_the_one_its_load_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ck.json"
    Checkpoint(path, "pw").save(_snapshot())
    salts = _counting_scrypt(monkeypatch)
    checkpoint = Checkpoint(path, "pw")
    checkpoint.prepare_key()
    _wait_for_key()
    assert len(salts) == 1  # found at the head of the file
    assert checkpoint.load().resources == _snapshot().resources
    assert salts == [base64.b64decode(json.loads(path.read_text())["encryption"]["salt"])]
