"""The Pulumi program (`__main__.py` -> pal_provider.program) under `pulumi.runtime.set_mocks`.

For every shipped stack: which resources are registered, with which inputs, which of
them are secret, and with which options. The SDK's own MockMonitor records what the
program asks the engine for; no provider runs.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dill
import pytest
from pal_engine.program_runner import DiagnosticsEngine, run_program
from pal_engine.project import load_project
from pulumi.runtime import MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockCallArgs, MockMonitor

from pal_provider.core.masking import secret_refs
from pal_provider.declaration import load_stack, resolve_fleet
from pal_provider.provider.pal import PAL_TYPE_TOKEN, PalProvider

REPO_ROOT = Path(__file__).resolve().parents[1]
# How a secret value looks on the wire (pulumi/runtime/rpc.py).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET_VALUES = {
    "palfleet:tavusApiKey": "tvs-planted-api-key",
    "palfleet:storyLlmApiKey": "sk-planted-story",
    "palfleet:elevenlabsApiKey": "el-planted-voice",
    "palfleet:followUpHookToken": "hook-planted-token",
}


class Registration:
    def __init__(self, args: MockResourceArgs) -> None:
        self.type = args.typ
        self.name = args.name
        self.inputs: dict[str, Any] = dict(args.inputs)
        self.additional_secret_outputs: list[str] = []


class RecordingMocks(Mocks):  # type: ignore[misc]
    def __init__(self) -> None:
        self.registrations: dict[str, Registration] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registrations[args.name] = Registration(args)
        return f"{args.name}-id", {**args.inputs, "pal_id": f"{args.name}-id"}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        raise AssertionError(f"the program makes no invoke, got {args.token}")


class RecordingMonitor(MockMonitor):  # type: ignore[misc]
    """Keeps what MockResourceArgs leaves out: the resource options on the wire."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks
        self.options: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.options[request.name] = list(request.additionalSecretOutputs)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def run(stack: str, config: dict[str, str]) -> tuple[RecordingMonitor, str | None, list[str]]:
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    engine = DiagnosticsEngine(redact=lambda text: text)
    error = run_program(
        load_project(REPO_ROOT),
        stack,
        config=config,
        secret_keys=set(SECRET_VALUES),
        preview=False,
        monitor=monitor,
        engine=engine,
        redact=lambda text: text,
    )
    for name, secret_outputs in monitor.options.items():
        if name in mocks.registrations:
            mocks.registrations[name].additional_secret_outputs = secret_outputs
    return monitor, error, list(engine.messages)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_declared_pal_is_registered_with_secret_free_readable_inputs(stack: str) -> None:
    monitor, error, messages = run(stack, dict(SECRET_VALUES))
    assert error is None, error
    fleet = resolve_fleet(load_stack(stack, REPO_ROOT / "stacks").fleet, stack)  # type: ignore[arg-type]
    registrations = {
        name: r for name, r in monitor.recording.registrations.items() if r.type == PAL_TYPE_TOKEN
    }
    assert sorted(registrations) == sorted(fleet.pals)

    for name, pal in fleet.pals.items():
        registered = registrations[name]
        assert registered.type == PAL_TYPE_TOKEN
        assert registered.inputs["logical_name"] == name
        # The body, plus the ids of the guardrails and objective set it names (in this
        # recording, the mocks' ids: "<logical name>-id").
        expected = dict(pal.body)
        if pal.guardrail_names:
            expected["guardrail_ids"] = [f"{g}-id" for g in pal.guardrail_names]
        if pal.objectives_name:
            expected["objectives_id"] = f"{pal.objectives_name}-id"
        assert registered.inputs["spec"] == expected, "the readable spec is the resolved body"
        assert registered.additional_secret_outputs == ["secrets"]
        secrets = registered.inputs["secrets"]
        assert secrets[SIG_KEY] == SECRET_SIG, "the secrets input is marked secret"
        assert sorted(secrets["value"]) == sorted(secret_refs(pal.body))
        assert registered.inputs["settings"].get("adopt_id") == pal.adopt_id
        # Each registered key is an Output the SDK's wait loop scans (quadratic in their
        # number across the program): the ids are the resource's id, the settings one key.
        assert set(registered.inputs) - {"attached_tool_ids"} == {
            "__provider",
            "logical_name",
            "spec",
            "secrets",
            "settings",
        }
        spec_text = repr(registered.inputs["spec"])
        for value in SECRET_VALUES.values():
            assert value not in spec_text

    # Warnings of the declaration reach `pulumi up`'s output.
    assert any("deprecated" in message for message in messages)


def test_storyteller_secret_values_travel_only_in_the_secret_map() -> None:
    monitor, error, _ = run("dev", dict(SECRET_VALUES))
    assert error is None, error
    storyteller = monitor.recording.registrations["storyteller"]
    assert storyteller.inputs["spec"]["layers"]["llm"]["api_key"] == {
        "$secret": "palfleet:storyLlmApiKey"
    }
    assert storyteller.inputs["secrets"]["value"]["/layers/llm/api_key"] == "sk-planted-story"


def test_missing_secret_config_stops_the_program_with_the_command_to_fix_it() -> None:
    config = {k: v for k, v in SECRET_VALUES.items() if k != "palfleet:storyLlmApiKey"}
    _monitor, error, _ = run("dev", config)
    assert error is not None
    assert "pulumi config set --secret palfleet:storyLlmApiKey" in error
    assert "storyteller" in error


def test_invalid_declaration_stops_the_program_with_findings(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "stacks" / "dev").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((REPO_ROOT / name).read_text())
    (project / "stacks" / "dev" / "fleet.yaml").write_text(
        "version: 1\nbindings: {api_base_url: 'https://tavusapi.com/v2'}\n"
        "pals:\n  bad:\n    pal_name: Bad\n    default_face_id: r1c0ac4e5a01\n"
        "    layers: {llm: {model: tavus-llama}}\n"
    )
    mocks = RecordingMocks()
    error = run_program(
        load_project(project),
        "dev",
        config={},
        secret_keys=set(),
        preview=False,
        monitor=RecordingMonitor(mocks),
        engine=DiagnosticsEngine(redact=lambda text: text),
        redact=lambda text: text,
    )
    assert error is not None
    assert "pals.bad.layers.llm.model" in error
    assert "palfleet validate --stack dev" in error
    assert mocks.registrations == {}, "nothing registered, so nothing is written"


def test_pickled_provider_captures_no_client_lock_or_secret() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(PalProvider())
    provider = dill.loads(base64.b64decode(blob))
    assert type(provider) is PalProvider
    assert vars(provider) == {}, "configure() has not run: no settings, client or lock"
    assert b"tvs-planted-api-key" not in base64.b64decode(blob)
    assert len(blob) < 2_000, "the class is pickled by reference, not by value"
