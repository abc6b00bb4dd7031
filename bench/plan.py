"""Benchmark of ``palfleet plan`` on a 1,000-PAL stack with 50 ms of latency per API request.

Run: ``.venv/bin/python bench/plan.py [--pals 1000] [--with-tools 0.1] [--latency-ms 50]
[--concurrency 8]``. It starts its own emulator (``python -m pal_emulator --port 0``),
seeds the PALs and tools, writes a matching fleet declaration to a temporary directory, adds
the latency to every ``/v2`` request by fault injection, runs the plan once and prints a table.

Floor: the requests the plan cannot avoid, at the latency, with what can overlap overlapped.
The pages of one list are sequential (a lister learns where to stop from the pages it has
read), so the PAL list costs ``pal pages x latency``; the tools list runs beside it (the plan
reads both at once), so only the longer of the two counts. The attached-tools reads need the
PAL list first and run ``concurrency`` at a time: ``ceil(reads / concurrency) x latency``.
``floor = max(pal pages, tool pages) x latency + ceil(reads / concurrency) x latency``;
``ratio = wall / floor`` (target <= 1.3). Validating the declaration (CPU) is not in the floor;
the plan overlaps it with the list reads.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from pal_emulator.process import start_emulator

from pal_provider.gitops.plan import PlanOptions, run

FACE = "rf4703150052"
TOOLS = 5
TARGET_RATIO = 1.3


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pals", type=int, default=1000)
    parser.add_argument("--with-tools", type=float, default=0.1, help="fraction of PALs with tools")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8)
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
            control.add_fault(path="/v2/*", latency_ms=args.latency_ms)
            control.clear_requests()
            options = PlanOptions(
                stack="bench",
                root=root,
                api_key_env="PALFLEET_BENCH_KEY",
                concurrency=args.concurrency,
                progress=False,
            )
            started = time.perf_counter()
            result = run(options, "plan")
            wall = time.perf_counter() - started
        counts = control.requests().by_template()
        control.close()
    finally:
        process.stop()
    if result.exit_code != 0:
        raise SystemExit(
            f"the plan did not come out clean (exit {result.exit_code}):\n"
            f"{result.stderr}{result.stdout[:2000]}"
        )
    latency = args.latency_ms / 1000
    pal_pages = counts["GET /v2/pals"]
    tool_pages = counts["GET /v2/tools"]
    reads = counts["GET /v2/pals/{id}/tools"]
    floor = max(pal_pages, tool_pages) * latency + math.ceil(reads / args.concurrency) * latency
    print(
        f"plan of {args.pals} PALs ({len(with_tools)} with tools), {args.latency_ms:.0f} ms "
        f"per request, concurrency {args.concurrency}"
    )
    print(f"{'requests':<28}{'count':>8}")
    for key in sorted(counts):
        print(f"{key:<28}{counts[key]:>8}")
    print(f"{'total':<28}{sum(counts.values()):>8}")
    print(f"{'wall time (s)':<28}{wall:>8.2f}")
    print(
        f"{'floor (s)':<28}{floor:>8.2f}   "
        f"= max({pal_pages}, {tool_pages}) pages x {latency:.3f}"
        f" + ceil({reads} / {args.concurrency}) x {latency:.3f}"
    )
    ratio = wall / floor
    verdict = "ok" if ratio <= TARGET_RATIO else "over target"
    print(f"{'ratio':<28}{ratio:>8.2f}   (target <= {TARGET_RATIO}: {verdict})")


if __name__ == "__main__":
    main()
