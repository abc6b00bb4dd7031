"""The fault soak of bench/soak.py, with a fixed seed: 40 PALs of every kind under 20% 429,
10% 503 and 5% drops after commit, the engine SIGKILLed four times among its steps; re-runs
converge to exactly one PAL per declaration and one tool per name, `palfleet plan` exits 0 and
destroy leaves nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_soak", REPO_ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_forty_pals_under_faults_and_four_kills_converge_without_duplicates() -> None:
    report = _soak_module().run_soak(pals=40, kills=4, seed=11)

    assert report.ok, report.render()
    assert report.kills == 4, report.render()
    faults = {k for k, v in report.requests.items() if k.startswith("fault") and v}
    assert {"fault status-429", "fault status-503"} <= faults, report.render()
