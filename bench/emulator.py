"""Benchmark of the PAL API emulator: GET and PATCH latency with 10,000 stored PALs.

Run: ``.venv/bin/python bench/emulator.py [--pals 10000] [--requests 2000]``.
Starts the emulator as a subprocess (in memory, or ``--db FILE``), seeds the PALs in
bulk through ``/_emulator/seed``, then times sequential requests over one keep-alive
connection (client-side wall time per request) and prints a table with requests/s,
p50 and p99 and the ratio of p50 to the 5 ms target.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pal_emulator.process import start_emulator

TARGET_P50_MS = 5.0
FACE = "rf4703150052"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(
    n: int, call: Callable[[int], httpx.Response], ok: tuple[int, ...]
) -> tuple[float, list[float]]:
    samples: list[float] = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        response = call(i)
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code not in ok:
            raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
    return n / (time.perf_counter() - started), samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: in memory)")
    args = parser.parse_args()

    emulator = start_emulator(api_key="bench-key", db=args.db)
    try:
        with emulator.control() as control:
            control.reset()
            t0 = time.perf_counter()
            pals = [
                {
                    "pal_name": f"bench-{i}",
                    "system_prompt": f"You are bench PAL number {i}.",
                    "default_face_id": FACE,
                    "document_tags": ["bench"],
                }
                for i in range(args.pals)
            ]
            ids = control.seed(pals=pals)["pals"]
            seeded_s = time.perf_counter() - t0
        rng = random.Random(7)
        targets = [rng.choice(ids) for _ in range(args.requests)]
        with httpx.Client(base_url=emulator.base_url, headers={"x-api-key": "bench-key"}) as api:
            for i in range(50):  # warm-up
                api.get(f"/pals/{targets[i]}")
            rows = [
                (
                    "GET /v2/pals/{id}",
                    *_measure(args.requests, lambda i: api.get(f"/pals/{targets[i]}"), (200,)),
                ),
                (
                    "PATCH /v2/pals/{id}",
                    *_measure(
                        args.requests,
                        lambda i: api.patch(
                            f"/pals/{targets[i]}",
                            json=[{"op": "replace", "path": "/pal_name", "value": f"renamed-{i}"}],
                        ),
                        (200,),
                    ),
                ),
                (
                    "GET /v2/pals?page=N",
                    *_measure(
                        args.requests // 4,
                        lambda i: api.get("/pals", params={"page": 1 + i % 100, "limit": 10}),
                        (200,),
                    ),
                ),
            ]
    finally:
        emulator.stop()

    print(
        f"emulator benchmark: {args.pals:,} PALs seeded in {seeded_s:.2f} s "
        f"({'file ' + str(args.db) if args.db else 'in memory'}); sequential, one keep-alive connection"
    )
    header = (
        f"{'operation':<22}{'requests':>9}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'p50/5ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, rate, samples in rows:
        p50 = statistics.median(samples)
        p99 = _percentile(samples, 0.99)
        print(
            f"{name:<22}{len(samples):>9}{rate:>10.0f}{p50:>9.2f}{p99:>9.2f}{p50 / TARGET_P50_MS:>9.2f}"
        )
    worst = max(statistics.median(s) for _, _, s in rows)
    print(f"target p50 < {TARGET_P50_MS} ms: {'met' if worst < TARGET_P50_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
