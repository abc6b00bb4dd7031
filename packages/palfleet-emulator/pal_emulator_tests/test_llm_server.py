"""The local OpenAI-compatible streaming server, as a process (``python -m``) and in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from pal_emulator.llm_server import LlmServerSettings, running_llm_server
from pal_emulator.testing import free_port


def test_the_command_serves_an_event_stream_and_takes_its_key_from_the_environment() -> None:
    port = free_port()
    env = {**os.environ, "LOCAL_LLM_KEY": "sk-local-test"}
    command = [sys.executable, "-m", "pal_emulator.llm_server", "--port", str(port)]
    command += ["--model", "m1", "--api-key-env", "LOCAL_LLM_KEY"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/v1" in process.stdout.readline()
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        body = {"model": "m1", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        refused = httpx.post(url, json=body)
        assert refused.status_code == 401
        answer = httpx.post(url, json=body, headers={"Authorization": "Bearer sk-local-test"})
        assert answer.headers["content-type"] == "text/event-stream"
        events = [line[6:] for line in answer.text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(event) for event in events[:-1]]
        assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
        assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        busy = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        assert busy.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stdout
        assert "Traceback" not in busy.stdout + busy.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_requests_are_recorded_and_misbehaviours_are_switchable() -> None:
    settings = LlmServerSettings(json_only=True, models=("m",))
    with running_llm_server(settings) as llm:
        body = {"model": "m", "stream": True, "messages": []}
        answer = httpx.post(f"{llm.url}/chat/completions?x=1", json=body)
        assert answer.headers["content-type"] == "application/json"
        unknown = httpx.post(f"{llm.url}/chat/completions", json={**body, "model": "n"})
        assert unknown.status_code == 404 and "`n` does not exist" in unknown.text
    assert [r.query for r in llm.requests] == [{"x": "1"}, {}]
