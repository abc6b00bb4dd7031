"""Benchmark of a whole ``pulumi up``: program, engine, preview and provider, as a user runs it.

Run: ``.venv/bin/python bench/up.py [--pals 200] [--latency-ms 50] [--runs 3]
[--noop-sizes 100,1000] [--memory-pals 5000]``.

The engine stand-in runs as a real process (``python -m pal_engine up``: the program, the
preview that ``up`` runs first, the SDK's dynamic-provider server with its 4 worker threads)
against the emulator with ``--latency-ms`` added to every ``/v2`` request. Phases:

* **create**: ``up`` of a new fleet of ``--pals`` hosted PALs;
* **update**: ``up`` after one field (``system_prompt``) of every PAL changed;
* **no-op**: ``up`` with nothing changed, at each size of ``--noop-sizes``, with the growth
  exponent between the smallest and the largest (``log(t2/t1) / log(n2/n1)``, 1.0 is linear);
* **delete**: ``destroy``;
* **memory**: peak resident memory of the ``up`` process tree (engine + program + provider
  server, sampled every 20 ms) for a no-op ``up`` of ``--memory-pals`` PALs.

Floors (the minimum any reconciler of this API needs): create 1 POST per PAL, update 1 PATCH,
no-op 0 requests, delete 1 DELETE; the floor's time is requests x latency / 4 (the dynamic
provider serves 4 calls at once). The emulator's own processing time beyond the injected
latency is not palfleet's cost: it is reported per request, and its share of the critical path
(its total / 4, the same overlap the floor assumes) is subtracted from the wall time before the
ratio is taken; the raw ratio is printed beside it. Each phase runs ``--runs`` times
(min / median / max); the ratio uses the median. Targets: full-``up`` create at most 1.8 x its
floor; no-op ``up`` of 1,000 PALs under 10 s with a growth exponent at most 1.1; peak memory of
a 5,000-PAL no-op ``up`` under 500 MB.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pal_emulator.control import EmulatorControl
from pal_emulator.process import start_emulator

from bench.stack_project import StackProject

API_KEY = "bench-up-key"
FACE_ID = "rbe0c4f1ee7a"
PARALLELISM = 4
CREATE_TARGET = 1.8
NOOP_TARGET_S = 10.0
NOOP_GROWTH_TARGET = 1.1
MEMORY_TARGET_MB = 500.0


def fleet(pals: int, prompt_suffix: str = "") -> dict[str, Any]:
    return {
        "version": 1,
        "bindings": {
            "api_base_url": "http://127.0.0.1:9/v2",
            "api_key": {"secret": "palfleet:tavusApiKey"},
            "faces": {"bench-face": FACE_ID},
        },
        "defaults": {
            "face": "bench-face",
            "layers": {"llm": {"model": "tavus-glm-4.7"}},
        },
        "pals": {
            f"pal-{i:04d}": {
                "pal_name": f"Bench {i:04d}",
                "system_prompt": f"You are bench PAL {i}. Answer briefly.{prompt_suffix}",
                "context": "A benchmark fleet.",
                "document_tags": ["bench", f"group-{i % 10}"],
            }
            for i in range(pals)
        },
    }


@dataclass(frozen=True)
class Sample:
    seconds: float
    requests: Counter[str]
    emulator_ms: float
    peak_mb: float

    def charged_s(self, latency_ms: float) -> float:
        """The wall time less the emulator's own share of the critical path: its time beyond
        the injected latency, over the floor's parallelism."""
        own_ms = self.emulator_ms - sum(self.requests.values()) * latency_ms
        return self.seconds - max(own_ms, 0.0) / 1000 / PARALLELISM


@dataclass(frozen=True)
class Measure:
    name: str
    samples: list[Sample]
    needed: int
    latency_ms: float

    @property
    def median_s(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def charged_median_s(self) -> float:
        return statistics.median(s.charged_s(self.latency_ms) for s in self.samples)

    @property
    def floor_s(self) -> float:
        return self.needed * self.latency_ms / 1000 / PARALLELISM

    @property
    def made(self) -> int:
        return sum(self.samples[-1].requests.values())

    def emulator_beyond_latency_ms(self) -> float:
        sample = self.samples[-1]
        count = sum(sample.requests.values())
        return sample.emulator_ms / count - self.latency_ms if count else 0.0


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and its descendants (Linux ``/proc``)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def timed_run(
    project: StackProject, control: EmulatorControl, operation: str, *, memory: bool = False
) -> Sample:
    """One run of ``operation``; with ``memory``, the process tree's peak resident memory too
    (sampled every 20 ms, which costs CPU: timing runs do not sample)."""
    control.clear_requests()
    peak = [0]
    started = time.perf_counter()
    process = subprocess.Popen(
        project.command(operation),
        cwd=project.workdir,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    done = threading.Event()

    def sample_memory() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample_memory, daemon=True)
    if memory:
        sampler.start()
    output, _ = process.communicate(timeout=3600)
    seconds = time.perf_counter() - started
    done.set()
    if memory:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{operation} failed ({process.returncode}):\n{output[-4000:]}")
    log = control.requests()
    entries = [e for e in log.entries if e.path.startswith("/v2")]
    requests = Counter(f"{e.method} {e.path_template}" for e in entries)
    return Sample(seconds, requests, sum(e.duration_ms for e in entries), peak[0] / 1024)


def with_project(
    pals: int, latency_ms: float, body: Callable[[StackProject, EmulatorControl], None]
) -> None:
    emulator = start_emulator(api_key=API_KEY, seed=False)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="palfleet-bench-up-") as tmp,
            emulator.control() as control,
        ):
            control.seed(faces=[{"face_id": FACE_ID, "face_name": "bench face"}])
            if latency_ms:
                control.add_fault(path="/v2/*", latency_ms=latency_ms)
            secrets = {"palfleet:tavusApiKey": API_KEY}
            project = StackProject(Path(tmp), emulator.base_url, "bench", fleet(pals), secrets)
            body(project, control)
    finally:
        emulator.stop()


def lifecycle(pals: int, latency_ms: float, runs: int) -> list[Measure]:
    """create / update / no-op / delete of ``pals`` PALs, ``runs`` times each."""
    samples: dict[str, list[Sample]] = {"create": [], "update": [], "no-op": [], "delete": []}
    for _ in range(runs):

        def body(project: StackProject, control: EmulatorControl) -> None:
            samples["create"].append(timed_run(project, control, "up"))
            project.write_fleet(fleet(pals, " Be kind."))
            samples["update"].append(timed_run(project, control, "up"))
            samples["no-op"].append(timed_run(project, control, "up"))
            samples["delete"].append(timed_run(project, control, "destroy"))

        with_project(pals, latency_ms, body)
    needed = {"create": pals, "update": pals, "no-op": 0, "delete": pals}
    return [Measure(name, samples[name], needed[name], latency_ms) for name in samples]


def noop(pals: int, latency_ms: float, runs: int, *, memory: bool = False) -> Measure:
    found: list[Sample] = []

    def body(project: StackProject, control: EmulatorControl) -> None:
        timed_run(project, control, "up")
        found.extend(timed_run(project, control, "up", memory=memory) for _ in range(runs))

    with_project(pals, latency_ms, body)
    return Measure(f"no-op {pals}", found, 0, latency_ms)


def spread(values: list[float], fmt: str = ".2f") -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pals", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--noop-sizes", default="100,1000")
    parser.add_argument("--memory-pals", type=int, default=5000, help="0 skips the memory run")
    args = parser.parse_args(argv)
    print(
        f"pulumi up benchmark (engine stand-in as a process, preview included): {args.pals} PALs, "
        f"{args.latency_ms:g} ms added to every /v2 request, {args.runs} runs each"
    )
    print(
        "floor: create 1 POST, update 1 PATCH, no-op 0, delete 1 DELETE per PAL; "
        f"time = requests x latency / {PARALLELISM} (the provider serves {PARALLELISM} calls at once)"
    )
    print(
        "ratio = (wall - the emulator's own time beyond the latency / "
        f"{PARALLELISM}) / floor; raw = wall / floor"
    )
    ok = True
    header = (
        f"{'phase':<10}{'made':>6}{'needed':>8}{'wall s min/med/max':>22}{'emu ms/req':>12}"
        f"{'charged s':>11}{'floor s':>9}{'ratio':>7}{'raw':>7}"
    )
    print(header)
    print("-" * len(header))
    measures = lifecycle(args.pals, args.latency_ms, args.runs)
    for measure in measures:
        ratio = measure.charged_median_s / measure.floor_s if measure.floor_s else math.nan
        raw = measure.median_s / measure.floor_s if measure.floor_s else math.nan
        print(
            f"{measure.name:<10}{measure.made:>6}{measure.needed:>8}"
            f"{spread([s.seconds for s in measure.samples]):>22}"
            f"{measure.emulator_beyond_latency_ms():>12.1f}{measure.charged_median_s:>11.2f}"
            f"{measure.floor_s:>9.2f}{ratio:>7.2f}{raw:>7.2f}"
        )
    create = measures[0]
    create_ratio = create.charged_median_s / create.floor_s
    ok &= create_ratio <= CREATE_TARGET
    print(
        "full up create vs floor, the emulator's own time subtracted: "
        f"{create_ratio:.2f} (target <= {CREATE_TARGET}: "
        f"{'met' if create_ratio <= CREATE_TARGET else 'MISSED'})"
    )
    sizes = [int(s) for s in args.noop_sizes.split(",") if s]
    noops = [noop(size, args.latency_ms, args.runs) for size in sizes]
    print()
    for measure in noops:
        print(
            f"{measure.name:<14} requests {measure.made}, wall s min/med/max "
            f"{spread([s.seconds for s in measure.samples])}"
        )
    if len(noops) >= 2:
        small, large = noops[0], noops[-1]
        growth = math.log(large.median_s / small.median_s) / math.log(sizes[-1] / sizes[0])
        ok &= growth <= NOOP_GROWTH_TARGET and large.made == 0
        print(
            f"no-op growth exponent {sizes[0]} -> {sizes[-1]}: {growth:.2f} "
            f"(target <= {NOOP_GROWTH_TARGET}: {'met' if growth <= NOOP_GROWTH_TARGET else 'MISSED'})"
        )
    if 1000 in sizes:
        thousand = noops[sizes.index(1000)].median_s
        ok &= thousand < NOOP_TARGET_S
        print(
            f"no-op up of 1,000 PALs: {thousand:.1f} s (target < {NOOP_TARGET_S:g} s: "
            f"{'met' if thousand < NOOP_TARGET_S else 'MISSED'})"
        )
    if args.memory_pals:
        memory = noop(args.memory_pals, 0.0, 1, memory=True)
        peak = memory.samples[0].peak_mb
        ok &= peak < MEMORY_TARGET_MB
        print(
            f"peak memory of a no-op up of {args.memory_pals} PALs (process tree): {peak:.0f} MB, "
            f"{memory.samples[0].seconds:.1f} s (target < {MEMORY_TARGET_MB:g} MB: "
            f"{'met' if peak < MEMORY_TARGET_MB else 'MISSED'})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
