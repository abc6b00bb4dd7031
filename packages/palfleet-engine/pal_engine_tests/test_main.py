"""``python -m pal_engine``: one real subprocess run plus argument handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pal_engine import BANNER
from pal_engine.__main__ import main

from pal_engine_tests.conftest import PASSPHRASE, PASSWORD, SAMPLE_PROJECT

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_up_then_destroy_through_the_command_line(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    checkpoint = tmp_path / "ck.json"
    env = {
        **os.environ,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "SAMPLE_SHELF_PASSWORD": PASSWORD,
    }
    common = [
        "--project",
        str(SAMPLE_PROJECT),
        "--stack",
        "cli",
        "--checkpoint",
        str(checkpoint),
        "--config",
        f"recordsDir={records}",
        "--secret-env",
        "shelfPassword=SAMPLE_SHELF_PASSWORD",
    ]

    def run(operation: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pal_engine", operation, *common],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    up = run("up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert up.stdout.startswith(BANNER)
    assert "+ 2 created" in up.stdout and PASSWORD not in up.stdout
    assert len(list(records.iterdir())) == 2

    destroy = run("destroy")
    assert destroy.returncode == 0 and "- 2 deleted" in destroy.stdout
    assert list(records.iterdir()) == []


def test_failures_exit_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"shelfPassword": PASSWORD}))
    code = main(
        [
            "preview",
            "--project",
            str(SAMPLE_PROJECT),
            "--stack",
            "dev",
            "--checkpoint",
            str(tmp_path / "ck.json"),
            "--config",
            f"recordsDir={tmp_path}",
            "--config",
            "shelfLabel=",
            "--secrets-file",
            str(secrets),
        ]
    )

    assert code == 1
    assert "title must not be empty" in capsys.readouterr().out


def test_bad_input_gets_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["up", "--project", str(tmp_path), "--stack", "dev", "--checkpoint", str(tmp_path / "c")]
    )

    assert code == 1
    assert "no Pulumi.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["up", "--stack", "dev", "--checkpoint", "c", "--config", "novalue"])
    assert exit_info.value.code == 2


def test_secrets_never_go_on_the_command_line() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["up", "--stack", "dev", "--checkpoint", "c", "--secret", f"k={PASSWORD}"])
    assert exit_info.value.code == 2
