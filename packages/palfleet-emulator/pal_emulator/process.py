"""Starting the emulator as a subprocess and waiting until it is healthy."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .control import EmulatorControl

ANNOUNCEMENT = "palfleet emulator listening on "


class EmulatorStartError(RuntimeError):
    """The emulator process exited or did not become healthy in time."""


@dataclass
class EmulatorProcess:
    process: subprocess.Popen[str]
    root_url: str
    api_key: str
    db: Path | None
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.root_url + "/v2"

    def control(self) -> EmulatorControl:
        return EmulatorControl(self.root_url)

    def kill(self) -> None:
        """Hard kill (SIGKILL): nothing gets a chance to flush."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate, and kill when it does not exit within ``timeout``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def start_emulator(
    *,
    api_key: str = "test-key",
    db: Path | None = None,
    seed: bool = True,
    port: int = 0,
    startup_timeout: float = 30.0,
) -> EmulatorProcess:
    """``python -m pal_emulator --port 0 ...``; returns once ``/_emulator/health`` is 200."""
    args = [sys.executable, "-m", "pal_emulator", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--api-key", api_key, "--seed" if seed else "--no-seed"]
    if db is not None:
        args += ["--db", str(db)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first.startswith(ANNOUNCEMENT):
        process.kill()
        rest = process.stdout.read()
        raise EmulatorStartError(f"emulator did not announce its address: {first}{rest}")
    root_url = first[len(ANNOUNCEMENT) :].strip()
    running = EmulatorProcess(process, root_url, api_key, db, [first])
    stdout = process.stdout

    def drain() -> None:  # keep the pipe from filling up
        for line in stdout:
            running.output.append(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorStartError("emulator exited during start-up: " + "".join(running.output))
        try:
            if httpx.get(root_url + "/_emulator/health", timeout=2).status_code == 200:
                return running
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    running.stop()
    raise EmulatorStartError(f"emulator at {root_url} not healthy after {startup_timeout} s")
