"""The newcomer's path: an emulator serving the stack's own address and faces, and
``palfleet preview | up | destroy`` through the engine stand-in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pal_emulator.testing import free_port

from tests.conftest import REPO_ROOT

FLEET = """\
version: 1
bindings:
  api_base_url: http://127.0.0.1:{port}/v2
  faces: {{host: r0000000f00d}}
pals:
  greeter:
    pal_name: Greeter
    face: host
    system_prompt: Greet people warmly.
"""


def palfleet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pal_provider.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks" / "dev").mkdir(parents=True)
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "stacks" / "dev" / "fleet.yaml").write_text(FLEET.format(port=free_port()))
    return tmp_path


@pytest.fixture
def emulator(project: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pal_provider.cli", "emulator", "--stack", "dev"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "listening on http://127.0.0.1:" in first, (
        process.stderr.read() if process.stderr else ""
    )
    yield process
    process.terminate()  # uvicorn waits for requests in flight (a test may have slowed them)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_the_emulator_serves_the_stack_and_up_reconciles_it_through_the_stand_in(
    project: Path, emulator: subprocess.Popen[str]
) -> None:
    env = {**os.environ, "TAVUS_API_KEY": "emulator-key", "PULUMI_CONFIG_PASSPHRASE": "p"}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "pulumi").exists()
    )
    stacks = ["--project", str(project)]

    plan = palfleet("plan", "--stack", "dev", "--root", str(project / "stacks"), env=env)
    assert plan.returncode == 2, plan.stdout + plan.stderr  # the face is known: 1 to create
    assert "PALs: 1 to create" in plan.stdout

    up = palfleet("up", "--stack", "dev", *stacks, env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "engine stand-in" in up.stderr and "+ 1 created" in up.stdout
    assert (project / ".palfleet" / "state" / "dev.json").is_file()
    preview = palfleet("preview", "--stack", "dev", *stacks, env=env)
    assert preview.returncode == 0 and "= 1 unchanged" in preview.stdout
    destroy = palfleet("destroy", "--stack", "dev", *stacks, env=env)
    assert destroy.returncode == 0 and "- 1 deleted" in destroy.stdout

    without_passphrase = {k: v for k, v in env.items() if not k.startswith("PULUMI_CONFIG")}
    refused = palfleet("up", "--stack", "dev", *stacks, env=without_passphrase)
    assert refused.returncode == 1 and "PULUMI_CONFIG_PASSPHRASE" in refused.stderr
    not_a_project = palfleet("up", "--stack", "dev", "--project", str(project / "stacks"), env=env)
    assert not_a_project.returncode == 1 and "no Pulumi.yaml" in not_a_project.stderr


def test_a_busy_port_is_one_line_naming_the_port_and_the_fix(
    project: Path, emulator: subprocess.Popen[str]
) -> None:
    again = subprocess.run(
        [sys.executable, "-m", "pal_provider.cli", "emulator", "--stack", "dev"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1:" in again.stderr
    assert "--port" in again.stderr and "Traceback" not in again.stderr + again.stdout


def test_ctrl_c_cancels_a_slow_plan_at_once(project: Path, emulator: subprocess.Popen[str]) -> None:
    import signal
    import time

    import httpx

    base = (project / "stacks" / "dev" / "fleet.yaml").read_text().split("api_base_url: ")[1]
    root_url = base.split("/v2")[0]
    httpx.post(f"{root_url}/_emulator/faults", json={"path": "/v2/*", "latency_ms": 20000})
    env = {**os.environ, "TAVUS_API_KEY": "emulator-key"}
    stacks = str(project / "stacks")
    plan = subprocess.Popen(
        [sys.executable, "-m", "pal_provider.cli", "plan", "--stack", "dev", "--root", stacks],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # started, and waiting on the slow listing
    sent = time.monotonic()
    plan.send_signal(signal.SIGINT)
    out, err = plan.communicate(timeout=30)

    assert plan.returncode == 130
    assert time.monotonic() - sent < 5, "cancelled promptly, not after the slow request"
    assert err == "palfleet: cancelled\n" and "Traceback" not in out


def test_ctrl_c_stops_the_emulator_without_a_traceback(
    project: Path, emulator: subprocess.Popen[str]
) -> None:
    import signal

    emulator.send_signal(signal.SIGINT)
    out, err = emulator.communicate(timeout=20)

    assert emulator.returncode in (0, 130)
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
