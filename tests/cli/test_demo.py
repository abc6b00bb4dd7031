"""The README's main-job command: `palfleet demo` runs a full create, no-op, drift, update cycle."""

from __future__ import annotations

import re
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
    steps = [requests_of(line) for line in out.splitlines() if line.startswith("API requests:")]
    assert len(steps) == 4, "up, preview, refresh, up (the dashboard edit is not an API call)"
    create, noop, refresh, revert = steps
    assert not [k for k in refresh if not k.startswith("GET")], "refresh only reads"
    assert create["POST /v2/pals"] == 4
    assert noop == {}, "a no-op preview makes no request"
    # wellness-coach has an attached tool; the refresh stored the edit, so the guard holds:
    # one PATCH and no read.
    assert revert == {"PATCH /v2/pals/{id}": 1}
    assert refresh["GET /v2/pals/{id}"] == 4
    assert "GET /v2/pals/{id}/tools" not in refresh, "attachments come with the PAL document"
    assert "+ 9 created" in out, "4 PALs, 2 registry tools, 2 guardrails and 1 objective set"
    assert refresh["GET /v2/guardrails/{id}"] == 2 and refresh["GET /v2/objectives/{id}"] == 1
    assert create["POST /v2/guardrails"] == 2 and create["POST /v2/objectives"] == 1
    assert "changed out of band [diff: spec.greeting]" in out
    assert "updated [diff: spec.greeting]" in out
    checkpoint = (project / ".palfleet/demo/dev.checkpoint.json").read_bytes()
    for secret in ("demo-storyLlmApiKey", "demo-elevenlabsApiKey"):
        assert secret not in out
        assert secret.encode() not in checkpoint


def requests_of(line: str) -> dict[str, int]:
    """`API requests: 4 x POST /v2/pals, 1 x GET ...` -> {"POST /v2/pals": 4, ...}."""
    text = line.removeprefix("API requests:").strip()
    if text == "none":
        return {}
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"(\d+) x ([^,]+)", text)}


def test_a_busy_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            app, ["demo", "--project", str(tmp_path), "--stand-in", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
