"""Fault soak: `pulumi up` of a 40-PAL fleet under API faults and engine kills converges.

Run: ``.venv/bin/python bench/soak.py [--pals 40] [--kills 4] [--seed 11]``
(``tests/provider/test_fault_soak.py`` runs it with a fixed seed in the suite).

The fleet mixes every kind of PAL palfleet reconciles: hosted models, custom LLMs with
secret keys, PALs with registry tools (one carries an auth secret), PALs migrating legacy inline
tools into the registry, and PALs with a conferencing username. The emulator answers 20% of
``/v2`` requests with 429, 10% with 503 and drops 5% of the POST and PATCH connections after
committing the write,. The engine stand-in runs as a real process (``python -m pal_engine up``) and is
SIGKILLed ``--kills`` times, each after a random number of further resources was recorded; then ``up`` is re-run until it succeeds and a
second ``up`` changes nothing. The faults are lifted and the account is checked:

* exactly one PAL per declared PAL, one tool per name (no duplicate, none missing);
* ``palfleet plan`` exits 0 (the live account is what the declaration says);
* ``destroy`` leaves no PAL and no tool.

It prints a table of runs (kills, re-runs, requests, faults fired) and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
from pal_emulator.process import start_emulator  # noqa: E402

from bench.stack_project import StackProject  # noqa: E402

STACK = "soak"
API_KEY = "soak-api-key"
SECRETS = {
    "palfleet:tavusApiKey": API_KEY,
    "palfleet:soakLlmKey": "sk-soak-llm-planted",
    "palfleet:soakHookToken": "soak-hook-token-planted",
}
FACES = {f"face-{i}": f"r{i:011x}" for i in range(1, 5)}


def fleet(pals: int) -> dict[str, Any]:
    """A fleet of ``pals`` PALs cycling through five kinds."""
    declared: dict[str, Any] = {}
    for index in range(pals):
        kind = index % 5
        name = f"pal-{index:03d}"
        pal: dict[str, Any] = {
            "pal_name": f"Soak {index:03d}",
            "face": f"face-{index % 4 + 1}",
            "system_prompt": f"You are soak PAL number {index}. Answer in one sentence.",
        }
        if kind == 1:
            pal["layers"] = {"llm": {"model": "gpt-4o"}}
            pal["palfleet"] = {"llm_endpoint": "soak-llm"}
        elif kind == 2:
            pal["palfleet"] = {"tools": ["note_goal", "notify_team"]}
        elif kind == 3:
            pal["layers"] = {
                "llm": {
                    "tools": [
                        {
                            "type": "function",
                            "function": {
                                "name": f"legacy_lookup_{index % 2}",
                                "description": "Look something up in the legacy catalogue.",
                                "parameters": {
                                    "type": "object",
                                    "properties": {"query": {"type": "string"}},
                                    "required": ["query"],
                                },
                            },
                        }
                    ]
                }
            }
            pal["palfleet"] = {"migrate_inline_tools": True}
        elif kind == 4:
            pal["layers"] = {"conferencing": {"username": f"soak-desk-{index:03d}"}}
        declared[name] = pal
    return {
        "version": 1,
        "bindings": {
            "api_base_url": "http://127.0.0.1:9/v2",
            "api_key": {"secret": "palfleet:tavusApiKey"},
            "faces": FACES,
            "llm_endpoints": {
                "soak-llm": {
                    "base_url": "https://llm.soak.example.com/v1",
                    "api_key": {"secret": "palfleet:soakLlmKey"},
                }
            },
        },
        "defaults": {"layers": {"llm": {"model": "tavus-glm-4.7"}}},
        "pals": declared,
        "tools": {
            "note_goal": {
                "description": "Write down the goal the user names.",
                "parameters": {
                    "type": "object",
                    "properties": {"goal": {"type": "string"}},
                    "required": ["goal"],
                },
                "on_resolve": "add_to_context",
                "delivery": {"app_message": True},
            },
            "notify_team": {
                "description": "Tell the team a user asked for a human.",
                "parameters": {"type": "object", "properties": {"topic": {"type": "string"}}},
                "on_resolve": "fire_and_forget",
                "delivery": {
                    "api": {
                        "url": "https://hooks.soak.example.com/notify",
                        "method": "POST",
                        "auth": {"type": "bearer", "token": {"secret": "palfleet:soakHookToken"}},
                    }
                },
            },
        },
    }


@dataclass
class SoakReport:
    pals: int
    kills: int = 0
    runs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        faults = {k: v for k, v in self.requests.items() if k.startswith("fault")}
        lines = [
            f"fault soak: {self.pals} PALs, {self.kills} engine kills, {len(self.runs)} engine "
            f"runs, {self.seconds:.1f} s",
            "runs: " + ", ".join(self.runs),
            "faults fired: " + ", ".join(f"{k}={v}" for k, v in sorted(faults.items())),
            "requests: "
            + str(sum(v for k, v in self.requests.items() if not k.startswith("fault"))),
        ]
        lines += [f"PROBLEM: {problem}" for problem in self.problems] or ["all checks passed"]
        return "\n".join(lines)


class Soak(StackProject):
    def __init__(self, workdir: Path, base_url: str, pals: int) -> None:
        super().__init__(workdir, base_url, STACK, fleet(pals), SECRETS)
        self.env["TAVUS_API_KEY"] = API_KEY

    def killed_run(self, at: int) -> bool:
        """Start an ``up`` and SIGKILL it once ``at`` resources are recorded (the kill lands
        among the steps, wherever the in-flight ones are). False if it ended by itself."""
        process = subprocess.Popen(
            self.command("up", "--skip-preview"),
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while self.recorded() < at and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        ended = process.poll() is not None
        process.kill()
        process.wait(timeout=30)
        return not ended

    def plan(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pal_provider.cli",
                "plan",
                "--stack",
                STACK,
                "--root",
                str(self.project / "stacks"),
                "--api-base-url",
                self.base_url,
            ],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def api(self, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            response = httpx.get(
                f"{self.base_url}{path}",
                params={"limit": 100, "page": page, "pal_type": "user"},
                headers={"x-api-key": API_KEY},
                timeout=30,
            )
            response.raise_for_status()
            data = response.json()["data"]
            found += data
            if len(data) < 100:
                return found
            page += 1


def _unchanged(output: str) -> bool:
    """Whether the ``up`` (its last part; the preview comes first) changed nothing."""
    up = output.rsplit(" up of stack ", 1)[-1]
    counts = up.split("\nResources:\n", 1)[-1].split("\n\n", 1)[0].splitlines()
    return bool(counts) and all(line.strip().endswith("unchanged") for line in counts)


def run_soak(pals: int = 40, kills: int = 4, seed: int = 11, max_runs: int = 12) -> SoakReport:
    rng = random.Random(seed)
    report = SoakReport(pals=pals)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="palfleet-soak-") as tmp:
        emulator = start_emulator(api_key=API_KEY, seed=False)
        try:
            control = emulator.control()
            control.seed(faces=[{"face_id": i, "face_name": n} for n, i in FACES.items()])
            soak = Soak(Path(tmp), emulator.base_url, pals)
            control.add_fault(path="/v2/*", status=429, retry_after=0, probability=0.2, seed=seed)
            control.add_fault(path="/v2/*", status=503, probability=0.1, seed=seed + 1)
            control.add_fault(
                method="POST", path="/v2/*", drop="after", probability=0.05, seed=seed + 2
            )
            control.add_fault(
                method="PATCH", path="/v2/*", drop="after", probability=0.05, seed=seed + 3
            )
            total = pals + 4  # PALs and registry tools
            attempts = 0
            while report.kills < kills and attempts < 3 * kills:
                attempts += 1
                left = kills - report.kills
                done = soak.recorded()
                at = done + rng.randint(1, max(1, (total - done) // (left + 1)))
                if soak.killed_run(at):
                    report.kills += 1
                    report.runs.append(f"killed at {soak.recorded()}/{total}")
                else:  # it failed early (the first failed step cancels an up) or finished
                    report.runs.append("ended before the kill")
            for _ in range(max_runs):
                result = soak.run("up")
                report.runs.append(f"up={result.returncode}")
                report.outputs.append(result.stdout)
                if result.returncode == 0:
                    again = soak.run("up")
                    report.runs.append(f"up={again.returncode}")
                    report.outputs.append(again.stdout)
                    if again.returncode == 0 and _unchanged(again.stdout):
                        break
            else:
                report.problems.append(f"did not converge in {max_runs} runs")
            for entry in control.requests().entries:
                report.requests[f"fault {entry.fault}" if entry.fault else entry.path_template] += 1
            control.clear_faults()

            names = Counter(str(p.get("pal_name")) for p in soak.api("/pals"))
            expected = Counter(f"Soak {i:03d}" for i in range(pals))
            if names != expected:
                extra, missing = names - expected, expected - names
                report.problems.append(f"PALs: extra {dict(extra)}, missing {dict(missing)}")
            tools = Counter(str(t.get("name")) for t in soak.api("/tools"))
            if any(count != 1 for count in tools.values()):
                report.problems.append(f"duplicate tools: {dict(tools)}")
            wanted_tools = {"note_goal", "notify_team", "legacy_lookup_0", "legacy_lookup_1"}
            if set(tools) != wanted_tools:
                report.problems.append(f"tools {sorted(tools)} != {sorted(wanted_tools)}")
            plan = soak.plan()
            if plan.returncode != 0:
                report.problems.append(f"plan exit {plan.returncode}: {plan.stdout[-2000:]}")
            destroy = soak.run("destroy")
            if destroy.returncode != 0:
                report.problems.append(f"destroy failed: {destroy.stdout[-2000:]}")
            remaining = soak.api("/pals"), soak.api("/tools")
            if any(remaining):
                report.problems.append(
                    f"destroy left {len(remaining[0])} PALs, {len(remaining[1])} tools"
                )
            for value in SECRETS.values():
                if value.encode() in soak.checkpoint.read_bytes():
                    report.problems.append("a secret is in the checkpoint in plain text")
        finally:
            emulator.stop()
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pals", type=int, default=40)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--verbose", action="store_true", help="print every run's output")
    arguments = parser.parse_args(argv)
    report = run_soak(arguments.pals, arguments.kills, arguments.seed)
    if arguments.verbose:
        print("\n\n".join(report.outputs))
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
