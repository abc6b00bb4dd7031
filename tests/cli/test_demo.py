"""The README's main-job command: `palfleet demo` runs a full create, no-op, drift, update cycle."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from pal_provider.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_create_noop_refresh_update_on_the_dev_stack(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, project / name)
    shutil.copytree(REPO_ROOT / "stacks", project / "stacks")

    result = CliRunner().invoke(app, ["demo", "--project", str(project), "--stand-in"])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "engine stand-in" in out
    assert "+ 4 created" in out
    assert "API requests: 4 x POST /v2/pals" in out
    assert "= 4 unchanged" in out and "API requests: none" in out
    assert "~ 1 changed out of band" in out
    assert "API requests: 1 x GET /v2/pals/{id}, 1 x PATCH /v2/pals/{id}" in out
    for secret in ("demo-story-llm-key", "demo-elevenlabs-key"):
        assert secret not in out
        assert secret.encode() not in (project / ".palfleet/demo/dev.checkpoint.json").read_bytes()
