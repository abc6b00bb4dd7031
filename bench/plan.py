"""Benchmark of ``palfleet plan`` on a 1,000-PAL stack with 50 ms of latency per API request.

Run: ``.venv/bin/python bench/plan.py [--pals 1000] [--with-tools 0.1] [--latency-ms 50]
[--concurrency 8]``. It starts its own emulator (``python -m pal_emulator --port 0``),
seeds the PALs and tools, writes a matching fleet declaration to a temporary directory, adds
the latency to every ``/v2`` request by fault injection, runs the plan once and prints a table.

Floor: the round trips no plan can avoid, at the latency. Page 1 of the PAL list says how many
pages there are (``total_count``); the other pages can then be read ``concurrency`` at a
time, and every listed PAL carries its ``tool_ids``, so no per-PAL read is needed. The tools
list runs beside the PAL pages. ``pages = ceil(pals / 100)``;
``floor = (1 + ceil((pages - 1) / concurrency)) x latency``; ``ratio = median wall / floor``
(target <= 2). The emulator's own processing time beyond the injected latency is reported,
not charged. Validating the declaration (CPU) is not in the floor; the plan overlaps it with
the list reads.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pal_emulator.process import start_emulator

from pal_provider.gitops.plan import PlanOptions, run

FACE = "rf4703150052"
TOOLS = 5
TARGET_RATIO = 2.0
PAGE_SIZE = 100


def live_pal(i: int, tool_ids: list[str]) -> dict[str, Any]:
    pal: dict[str, Any] = {
        "pal_name": f"Agent {i:04d}",
        "system_prompt": f"You are agent {i}. Answer briefly and check understanding.\n" * 5,
        "default_face_id": FACE,
        "layers": {"llm": {"model": "tavus-glm-4.7"}},
    }
    if tool_ids:
        pal["tool_ids"] = tool_ids
    return pal


def declaration(count: int, with_tools: set[int], base_url: str) -> str:
    lines = [
        "version: 1",
        "bindings:",
        f"  api_base_url: {base_url}",
        "  faces:",
        f"    main: {FACE}",
        "defaults:",
        "  pipeline_mode: full",
        "  face: main",
        "  layers:",
        "    llm:",
        "      model: tavus-glm-4.7",
        "pals:",
    ]
    for i in range(count):
        prompt = f"You are agent {i}. Answer briefly and check understanding.\n" * 5
        lines += [f"  agent-{i:04d}:", f"    pal_name: Agent {i:04d}", "    system_prompt: |"]
        lines += [f"      {line}" for line in prompt.splitlines()]
        if i in with_tools:
            lines += ["    palfleet:", f"      tools: [tool_{i % TOOLS}]"]
    lines.append("tools:")
    for t in range(TOOLS):
        lines += [f"  tool_{t}:", f"    description: Benchmark tool {t}."]
    return "\n".join(lines) + "\n"


def options_for(root: Path, args: argparse.Namespace) -> PlanOptions:
    return PlanOptions(
        stack="bench",
        root=root,
        api_key_env="PALFLEET_BENCH_KEY",
        concurrency=args.concurrency,
        progress=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pals", type=int, default=1000)
    parser.add_argument("--with-tools", type=float, default=0.1, help="fraction of PALs with tools")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    process = start_emulator(api_key="bench-key")
    try:
        control = process.control()
        tool_ids = control.seed(
            tools=[
                {"name": f"tool_{t}", "description": f"Benchmark tool {t}."} for t in range(TOOLS)
            ]
        )["tools"]
        step = max(1, round(1 / args.with_tools)) if args.with_tools > 0 else args.pals + 1
        with_tools = {i for i in range(args.pals) if i % step == 0}
        pals = [
            live_pal(i, [tool_ids[i % TOOLS]] if i in with_tools else []) for i in range(args.pals)
        ]
        for start in range(0, len(pals), 250):
            control.seed(pals=pals[start : start + 250])
        with tempfile.TemporaryDirectory(prefix="palfleet-bench-") as scratch:
            root = Path(scratch)
            (root / "bench").mkdir()
            (root / "Pulumi.bench.yaml").write_text("config: {}\n")
            (root / "bench" / "fleet.yaml").write_text(
                declaration(args.pals, with_tools, process.base_url)
            )
            os.environ["PALFLEET_BENCH_KEY"] = "bench-key"
            started = time.perf_counter()
            if run(options_for(root, args), "plan").exit_code != 0:
                raise SystemExit("the plan without latency did not come out clean")
            local = time.perf_counter() - started
            control.add_fault(path="/v2/*", latency_ms=args.latency_ms)
            options = options_for(root, args)
            walls: list[float] = []
            for _ in range(args.runs):
                control.clear_requests()
                started = time.perf_counter()
                result = run(options, "plan")
                walls.append(time.perf_counter() - started)
                if result.exit_code != 0:
                    raise SystemExit(
                        f"the plan did not come out clean (exit {result.exit_code}):\n"
                        f"{result.stderr}{result.stdout[:2000]}"
                    )
        log = control.requests()
        counts = log.by_template()
        emulator_ms = sum(e.duration_ms for e in log.entries if e.path.startswith("/v2"))
        control.close()
    finally:
        process.stop()
    latency = args.latency_ms / 1000
    pages = math.ceil(args.pals / PAGE_SIZE)
    round_trips = 1 + math.ceil((pages - 1) / args.concurrency)
    floor = round_trips * latency
    wall = statistics.median(walls)
    made = sum(counts.values())
    print(
        f"plan of {args.pals} PALs ({len(with_tools)} with tools), {args.latency_ms:.0f} ms "
        f"per request, concurrency {args.concurrency}, {args.runs} runs"
    )
    print(f"{'requests (last run)':<28}{'count':>8}")
    for key in sorted(counts):
        print(f"{key:<28}{counts[key]:>8}")
    print(f"{'total':<28}{made:>8}")
    print(
        f"{'emulator ms/request':<28}{emulator_ms / max(1, made) - args.latency_ms:>8.1f}"
        "   (beyond the injected latency; not charged)"
    )
    print(f"{'wall s min/med/max':<28}{min(walls):>8.2f} {wall:.2f} {max(walls):.2f}")
    print(
        f"{'floor (s)':<28}{floor:>8.2f}   = (1 + ceil(({pages} pages - 1) / "
        f"{args.concurrency})) round trips x {latency:.3f}"
    )
    print(
        f"{'without latency (s)':<28}{local:>8.2f}   (reading and validating the declaration, "
        "comparing, the emulator: what is not waiting)"
    )
    ratio = wall / floor
    verdict = "ok" if ratio <= TARGET_RATIO else "over target"
    print(f"{'ratio':<28}{ratio:>8.2f}   (target <= {TARGET_RATIO}: {verdict})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
