"""A throwaway palfleet project driven through the engine stand-in's CLI, for the benchmarks.

``StackProject`` lays out ``Pulumi.yaml``, ``__main__.py`` and ``stacks/<stack>/fleet.yaml`` in a
work directory and runs ``python -m pal_engine OPERATION`` as a real process, exactly as a user
runs it, with the checkpoint, passphrase and secrets kept off the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench-passphrase"


class StackProject:
    def __init__(
        self,
        workdir: Path,
        base_url: str,
        stack: str,
        fleet: dict[str, Any],
        secrets: dict[str, str],
    ) -> None:
        self.workdir = workdir
        self.base_url = base_url
        self.stack = stack
        self.project = workdir / "project"
        self.project.mkdir()
        shutil.copy(REPO_ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        shutil.copy(REPO_ROOT / "__main__.py", self.project / "__main__.py")
        (self.project / "stacks" / stack).mkdir(parents=True)
        (self.project / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
        self.write_fleet(fleet)
        self.secrets_file = workdir / "secrets.json"
        self.secrets_file.write_text(json.dumps(secrets))
        self.checkpoint = workdir / "state" / "checkpoint.json"
        self.env = {
            **os.environ,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PYTHONPATH": str(REPO_ROOT),
        }

    def write_fleet(self, fleet: dict[str, Any]) -> None:
        with (self.project / "stacks" / self.stack / "fleet.yaml").open("w") as handle:
            YAML(typ="safe").dump(fleet, handle)

    def command(self, operation: str, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pal_engine",
            operation,
            "--project",
            str(self.project),
            "--stack",
            self.stack,
            "--checkpoint",
            str(self.checkpoint),
            "--config",
            f"palfleet:apiBaseUrl={self.base_url}",
            "--secrets-file",
            str(self.secrets_file),
            *extra,
        ]

    def run(
        self, operation: str, *extra: str, timeout: float = 1800
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(operation, *extra),
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def recorded(self) -> int:
        """Resources in the checkpoint now (its resource list is readable without the key)."""
        try:
            return len(json.loads(self.checkpoint.read_text())["resources"])
        except (OSError, ValueError, KeyError):
            return 0
