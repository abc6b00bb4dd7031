"""Shared by the registry-tool, attachment and migration tests: a throw-away Pulumi project
whose fleet a test writes, driven by the engine stand-in against the emulator.

One provider server per test module (configured once with the emulator's URL and key, like
under `pulumi up`); each test gets a fresh emulator state and its own checkpoint.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pal_emulator.testing import RunningEmulator
from pal_engine import Engine, ProviderHost, RunResult

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK = "test"
FACES = {"coach": "r1c0ac4e5a01", "sales": "r4d5a1e5c004"}
HOOK_TOKEN = "hook-token-planted-7731"
SECRETS = {"palfleet:hookToken": HOOK_TOKEN}

BASE_FLEET: dict[str, Any] = {
    "version": 1,
    "bindings": {"api_base_url": "http://127.0.0.1:9/v2", "faces": FACES},
    "defaults": {"layers": {"llm": {"model": "tavus-glm-4.7"}}},
    "pals": {},
    "tools": {},
}


def pal(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"face": "coach", "system_prompt": prompt, **extra}


def inline(name: str, description: str = "", **properties: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description or f"Call {name}.",
            "parameters": {"type": "object", "properties": properties or {"q": {"type": "string"}}},
        },
    }


def fleet(pals: dict[str, Any], tools: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE_FLEET)
    doc["pals"] = pals
    doc["tools"] = tools or {}
    doc.update(top)
    return doc


class Project:
    """A copy of the repository's Pulumi project with a fleet written by the test."""

    def __init__(
        self, root: Path, emulator: RunningEmulator, host: ProviderHost, checkpoint: Path
    ) -> None:
        self.root = root
        self.emulator = emulator
        self.host = host
        self.checkpoint = checkpoint
        self.secrets = dict(SECRETS)
        root.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copy(REPO_ROOT / "__main__.py", root / "__main__.py")
        (root / "stacks" / STACK).mkdir(parents=True)

    @property
    def control(self) -> Any:
        return self.emulator.control

    def write(self, doc: dict[str, Any]) -> None:
        # JSON is YAML: no extra writer needed.
        (self.root / "stacks" / STACK / "fleet.yaml").write_text(json.dumps(doc, indent=1))

    def write_text(self, text: str) -> None:
        (self.root / "stacks" / STACK / "fleet.yaml").write_text(text)

    def engine(self) -> Engine:
        config = {
            "palfleet:apiBaseUrl": self.emulator.base_url,
            "palfleet:tavusApiKey": self.emulator.api_key,
            **self.secrets,
        }
        return Engine(
            self.root,
            STACK,
            self.checkpoint,
            config,
            secret_config_keys={"palfleet:tavusApiKey", *self.secrets},
            passphrase="tool-tests",
            provider_host=self.host,
        )

    def up(self) -> RunResult:
        return self.engine().up()

    def preview(self) -> RunResult:
        """A preview that must succeed (the real `pulumi up` previews first)."""
        result = self.engine().preview()
        assert result.ok, result.render()
        return result

    def refresh(self) -> RunResult:
        return self.engine().refresh()

    def destroy(self) -> RunResult:
        return self.engine().destroy()

    # -- live state through the emulator's API ------------------------------------------------

    def api(self, method: str, path: str, **kw: Any) -> Any:
        import httpx

        response = httpx.request(
            method, self.emulator.base_url + path, headers=self.emulator.headers, **kw
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def live_tools(self) -> dict[str, dict[str, Any]]:
        data = self.api("GET", "/tools", params={"limit": 100})["data"]
        return {tool["name"]: tool for tool in data}

    def live_pal(self, pal_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", f"/pals/{pal_id}")
        return result

    def attached_names(self, pal_id: str) -> list[str]:
        return sorted(t["name"] for t in self.api("GET", f"/pals/{pal_id}/tools")["data"])

    def inline_names(self, pal_id: str) -> list[str]:
        layers = self.live_pal(pal_id).get("layers") or {}
        names = [t["function"]["name"] for t in (layers.get("llm") or {}).get("tools") or []]
        for key in ("visual_tools", "audio_tools", "perception_tools"):
            names += [
                t["function"]["name"] for t in (layers.get("perception") or {}).get(key) or []
            ]
        return sorted(names)


def ops(result: RunResult) -> dict[str, str]:
    return {f"{step.type.rsplit(':', 1)[-1]}/{step.name}": step.op for step in result.steps}


def writes(project: Project) -> list[str]:
    return [f"{e.method} {e.path_template}" for e in project.control.requests().writes()]


@pytest.fixture(scope="module")
def provider_host(emulator_server: Any) -> Iterator[ProviderHost]:
    config = {
        "palfleet:apiBaseUrl": emulator_server.base_url,
        "palfleet:tavusApiKey": emulator_server.api_key,
    }
    with ProviderHost(
        REPO_ROOT, "palfleet", config, secret_values=[emulator_server.api_key]
    ) as host:
        yield host


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, provider_host: ProviderHost) -> Project:
    emulator.control.seed(
        faces=[{"face_id": face, "face_name": name} for name, face in FACES.items()]
    )
    return Project(tmp_path / "project", emulator, provider_host, tmp_path / "checkpoint.json")
