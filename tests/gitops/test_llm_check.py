"""``palfleet llm check`` against a real local OpenAI-compatible streaming server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pal_emulator.llm_server import LlmServerSettings, RunningLlmServer, running_llm_server
from typer.testing import CliRunner

from pal_provider.cli import app

KEY = "sk-PLANTED-local-llm-9d2e"
FLEET = """\
version: 1
bindings:
  api_base_url: http://127.0.0.1:9/v2
  faces: {{anna: rf4703150052}}
  llm_endpoints:
    local:
      base_url: {base_url}
      api_key: {{secret: palfleet:localLlmKey}}
      headers: {{X-Team: support}}
      default_query: {{api-version: "{api_version}"}}
pals:
  support:
    pal_name: Support
    face: anna
    system_prompt: You help customers with their orders.
    context: Orders ship within two days.
    layers:
      llm:
        endpoint: local
        model: local-model
        extra_body: {{reasoning_effort: low}}
{perception}    palfleet:
      tools: [lookup_order]
  hosted:
    pal_name: Hosted
    face: anna
    system_prompt: Be brief.
tools:
  lookup_order:
    description: Look an order up by its number.
    parameters:
      type: object
      properties: {{order: {{type: string}}}}
      required: [order]
"""


def write_stack(
    root: Path,
    base_url: str,
    *,
    api_version: str = "2024-06-01",
    perception: str | None = None,
    key: str = KEY,
) -> None:
    (root / "dev").mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    layer = f"      perception: {{perception_model: {perception}}}\n" if perception else ""
    (root / "dev" / "fleet.yaml").write_text(
        FLEET.format(base_url=base_url, api_version=api_version, perception=layer)
    )
    (root / "secrets.yaml").write_text(f"palfleet:localLlmKey: {key}\n")


def check(root: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "llm",
            "check",
            "--stack",
            "dev",
            "--root",
            str(root),
            "--secrets-file",
            str(root / "secrets.yaml"),
            *extra,
        ],
    )
    output = result.stdout + result.stderr
    assert KEY not in output, "the key is never printed"
    return result.exit_code, output


@pytest.fixture
def llm() -> Iterator[RunningLlmServer]:
    settings = LlmServerSettings(
        api_key=KEY, models=("local-model",), required_query={"api-version": "2024-06-01"}
    )
    with running_llm_server(settings) as running:
        yield running


def test_a_ready_endpoint_gets_the_request_tavus_sends(
    tmp_path: Path, llm: RunningLlmServer
) -> None:
    write_stack(tmp_path, llm.url)

    code, out = check(tmp_path)

    assert code == 0, out
    assert "support: READY" in out and "[DONE] yes" in out and "first token" in out
    assert "tools: 1 sent, accepted" in out
    assert "hosted" not in out.split("custom LLM(s) ready")[0], "a hosted PAL is not checked"
    assert "1 of 1 custom LLM(s) ready." in out
    [sent] = llm.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.query == {"api-version": "2024-06-01"}
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-team"] == "support"
    body = sent.body
    assert body["stream"] is True and body["model"] == "local-model"
    assert body["reasoning_effort"] == "low", "extra_body is merged into the body"
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "system", "user"], "raven-1 (the default) adds a system message"
    assert "Orders ship within two days." in body["messages"][0]["content"]
    assert "<user_appearance>" in body["messages"][1]["content"]
    assert body["tools"][0]["function"]["name"] == "lookup_order"


def test_json_instead_of_an_event_stream(tmp_path: Path) -> None:
    with running_llm_server(LlmServerSettings(json_only=True)) as llm:
        write_stack(tmp_path, llm.url, api_version="x")
        code, out = check(tmp_path)
    assert code == 1
    assert "instead of text/event-stream" in out and "stream: true" in out


def test_a_refused_key(tmp_path: Path, llm: RunningLlmServer) -> None:
    write_stack(tmp_path, llm.url, key="sk-wrong")
    code, out = check(tmp_path)
    assert code == 1 and "401" in out and "refused the key" in out


def test_a_rejected_query_parameter(tmp_path: Path, llm: RunningLlmServer) -> None:
    write_stack(tmp_path, llm.url, api_version="2023-01-01")
    code, out = check(tmp_path)
    assert code == 1 and "query parameter was rejected" in out and "default_query" in out


def test_an_unknown_model(tmp_path: Path) -> None:
    with running_llm_server(LlmServerSettings(models=("other-model",))) as llm:
        write_stack(tmp_path, llm.url)
        code, out = check(tmp_path)
    assert code == 1 and "does not serve model 'local-model'" in out


def test_the_route_appended_twice(tmp_path: Path, llm: RunningLlmServer) -> None:
    write_stack(tmp_path, f"{llm.url}/chat/completions")
    code, out = check(tmp_path)
    assert code == 1 and "Tavus appends /chat/completions itself" in out
    assert llm.requests == [], "the offline rule stops it before any request"
    write_stack(tmp_path, f"{llm.url}/chat")
    code, out = check(tmp_path)
    assert code == 1 and "appended twice (/v1/chat/chat/completions)" in out
    assert f"set base_url to {llm.url}" in out


def test_a_refused_second_system_message_and_the_way_out(tmp_path: Path) -> None:
    with running_llm_server(LlmServerSettings(single_system=True)) as llm:
        write_stack(tmp_path, llm.url)
        code, out = check(tmp_path)
        assert code == 1 and "second system message" in out and "perception_model: off" in out
        write_stack(tmp_path, llm.url, perception="'off'")
        code, out = check(tmp_path)
    assert code == 0, out


def test_refused_tools_and_a_stream_without_done(tmp_path: Path) -> None:
    with running_llm_server(LlmServerSettings(tools=False)) as llm:
        write_stack(tmp_path, llm.url)
        code, out = check(tmp_path)
    assert code == 1 and "refused the tools" in out
    with running_llm_server(LlmServerSettings(no_done=True)) as llm:
        write_stack(tmp_path, llm.url)
        code, out = check(tmp_path)
    assert code == 1 and "without `data: [DONE]`" in out


def test_a_slow_first_token_fails_max_ttft(tmp_path: Path) -> None:
    with running_llm_server(LlmServerSettings(ttft_ms=300)) as llm:
        write_stack(tmp_path, llm.url)
        code, out = check(tmp_path, "--max-ttft", "100", "--format", "json")
        assert code == 1
        [pal] = json.loads(out)["pals"]
        assert pal["verdict"] == "slow" and pal["ttft_ms"] >= 300
        code, _ = check(tmp_path, "--max-ttft", "2000")
    assert code == 0


def test_a_missing_secret_stops_before_any_request(tmp_path: Path, llm: RunningLlmServer) -> None:
    write_stack(tmp_path, llm.url)
    (tmp_path / "secrets.yaml").write_text("{}\n")
    code, out = check(tmp_path)
    assert code == 1 and "palfleet:localLlmKey" in out and "--secret-env" in out
    assert llm.requests == []


def test_the_secret_from_the_environment_and_markdown(
    tmp_path: Path, llm: RunningLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stack(tmp_path, llm.url)
    (tmp_path / "secrets.yaml").write_text("{}\n")
    monkeypatch.setenv("LOCAL_LLM_KEY", KEY)
    code, out = check(
        tmp_path, "--secret-env", "palfleet:localLlmKey=LOCAL_LLM_KEY", "--format", "markdown"
    )
    assert code == 0, out
    assert "| `support` | `local-model` | ready | 200 |" in out


def test_an_unreachable_endpoint(tmp_path: Path) -> None:
    write_stack(tmp_path, "http://127.0.0.1:9/v1")
    code, out = check(tmp_path, "--timeout", "5")
    assert code == 1 and "cannot connect" in out
