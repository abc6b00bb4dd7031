"""Shared fixtures of the gitops tests: a small stack on disk and an emulator-backed account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pal_provider.api import PalClient
from pal_provider.cli import app
from pal_provider.core.masking import replace_secret_refs
from pal_provider.declaration import ResolvedFleet, load_stack, resolve_fleet

# Planted secret values: no output of any command may contain any of them.
PLANTED = {
    "palfleet:storyLlmApiKey": "sk-PLANTED-llm-7f3a9c",
    "palfleet:moodToken": "tok-PLANTED-mood-51bd",
    "palfleet:tavusApiKey": "unused",
}
HEADER_SECRET = "Bearer hdr-PLANTED-4e1c"
ANNA = "rf4703150052"
NATHAN = "r92debe21318"

FLEET = """\
# test fleet (comments must survive promotion)
version: 1

bindings:
  api_base_url: http://127.0.0.1:9/v2
  faces:
    anna: {anna}
    nathan: {nathan}
  llm_endpoints:
    story-llm:
      base_url: https://llm.example.com/v1
      api_key: {{secret: palfleet:storyLlmApiKey}}

defaults:
  pipeline_mode: full
  layers:
    llm:
      model: tavus-glm-4.7

pals:
  coach:
    pal_name: Coach
    face: anna
    system_prompt: |
      You are a coach.
      Ask one question at a time.
      Agree on a next step.
    palfleet:
      tools: [log_mood]
  story:
    pal_name: Story
    face: nathan
    system_prompt: Tell short stories.
    layers:
      llm:
        model: gpt-4o
    palfleet:
      llm_endpoint: story-llm

tools:
  log_mood:
    description: Record the mood the user reports.
    parameters:
      type: object
      properties:
        mood: {{type: integer}}
    delivery:
      api:
        url: https://hooks.example.com/mood
        auth:
          type: bearer
          token: {{secret: palfleet:moodToken}}
"""


def write_stack(root: Path, name: str, text: str) -> Path:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / f"Pulumi.{name}.yaml").write_text("config: {}\n", encoding="utf-8")
    path = root / name / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def stack_root(tmp_path: Path) -> Path:
    root = tmp_path / "stacks"
    write_stack(root, "dev", FLEET.format(anna=ANNA, nathan=NATHAN))
    return root


@pytest.fixture
def client(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> PalClient:
    monkeypatch.setenv("TAVUS_API_KEY", emulator.api_key)
    return PalClient(emulator.base_url, emulator.api_key)


def resolved(root: Path, stack: str = "dev") -> ResolvedFleet:
    result = load_stack(stack, root)
    assert result.fleet is not None and not result.errors, [f.render() for f in result.errors]
    return resolve_fleet(result.fleet, stack)


def apply_fleet(client: PalClient, fleet: ResolvedFleet) -> dict[str, str]:
    """Create every declared tool and PAL as declared (secrets = planted values), attach tools."""
    tool_ids = {
        name: client.create_tool(
            replace_secret_refs(tool.body, lambda _pointer, key: PLANTED[key])
        )["tool_id"]
        for name, tool in fleet.tools.items()
    }
    pal_ids: dict[str, str] = {}
    for name, pal in fleet.pals.items():
        created = client.create_pal(
            replace_secret_refs(pal.body, lambda _pointer, key: PLANTED[key])
        )
        pal_ids[name] = created["pal_id"]
        if pal.tool_names:
            client.attach_tools(created["pal_id"], [tool_ids[t] for t in pal.tool_names])
    return pal_ids


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., CliResult]


@pytest.fixture
def palfleet(emulator: Any, stack_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``palfleet(*args)``: run the CLI; plan/drift/export get --root and --api-base-url."""
    monkeypatch.setenv("TAVUS_API_KEY", emulator.api_key)

    def invoke(*args: str, root: Path | None = None) -> CliResult:
        argv = list(args)
        argv += ["--root", str(root or stack_root)]
        if args[0] in ("plan", "drift", "export", "promote") and "--api-base-url" not in args:
            argv += ["--api-base-url", emulator.base_url]
        result = CliRunner().invoke(app, argv)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke
