"""Fuzzing the emulator's OpenAPI description with schemathesis: no 5xx on valid or invalid input.

Bounded: a few dozen examples per operation and generation mode, derandomized, so the
run is reproducible and stays well under a minute.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pal_emulator.app import create_emulator
from pal_emulator.testing import RunningEmulator
from schemathesis import GenerationMode

from pal_emulator_tests.conftest import pal_body, tool_body

EXAMPLES = 25


def _schema() -> Any:
    return schemathesis.openapi.from_dict(create_emulator(seed=False).fastapi.openapi())


def test_openapi_hides_the_controls() -> None:
    paths = create_emulator(seed=False).fastapi.openapi()["paths"]
    assert paths and all(p.startswith("/v2/") for p in paths)
    assert {"/v2/pals", "/v2/pals/{pal_id}", "/v2/tools/{tool_id}", "/v2/personas"} <= set(paths)


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    emulator: RunningEmulator,
    path_parameters: dict[str, str] | None,
) -> list[str]:
    failures: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            response = case.call(base_url=emulator.root_url, headers=emulator.headers, timeout=10)
        except Exception as exc:  # a dropped connection or server crash is a failure too
            failures.append(f"{operation.label}: {type(exc).__name__}")
            return
        if response.status_code >= 500:
            failures.append(
                f"{operation.label} {mode.value}: {response.status_code} {case.body!r:.200}"
            )

    run()
    return failures


@pytest.mark.timeout(180)
def test_fuzz_finds_no_server_errors(emulator: RunningEmulator) -> None:
    api = httpx.Client(base_url=emulator.base_url, headers=emulator.headers)
    schema = _schema()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, mode, emulator, None)
        names = {p.name for p in operation.path_parameters}
        if names:  # again against a PAL and a tool that exist (fresh ones: DELETE is fuzzed too)
            pal_id = api.post("/pals", json=pal_body()).json()["pal_id"]
            tool_id = api.post("/tools", json=tool_body(f"fuzz_{len(failures)}_{pal_id}")).json()[
                "tool_id"
            ]
            real = {k: v for k, v in {"pal_id": pal_id, "tool_id": tool_id}.items() if k in names}
            failures += _fuzz(operation, GenerationMode.POSITIVE, emulator, real)
    api.close()
    assert failures == []
    assert emulator.control.requests().count() > 500
