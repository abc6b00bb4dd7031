"""Fleet benchmark of the PAL provider, driven exactly as the Pulumi engine drives it.

Run: ``.venv/bin/python bench/fleet.py [--pals 200] [--latency-ms 50] [--callers 4]``.

Starts the emulator as a subprocess with ``--latency-ms`` added to every ``/v2`` request
(fault injection) and the SDK's real dynamic provider server (``python -m pulumi.dynamic``,
a thread pool of 4) through ``ProviderHost``. ``--callers`` threads (the engine's parallelism
towards one dynamic provider is bounded by that pool) then run, for every PAL:

* create: Check + Create;
* update: Check + Diff + Update with one field (``system_prompt``) changed;
* delete: Delete.

Per phase it prints the requests the emulator logged (by method + path template), the
minimal requests any reconciler needs (create: 1 POST; update: 1 PATCH; delete: 1 DELETE),
the wall time, the floor (needed requests x latency / callers: what perfect overlap of the
injected latency would take) and the ratio wall / floor (target <= 1.3). The emulator's own
processing beyond the latency is reported per request, not charged. ``mean call`` is the client-side
time of one provider call and ``overhead`` the part of it not spent inside the emulator
(gRPC, the provider, httpx), which is what the ratio is made of.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pal_emulator.control import EmulatorControl, RequestLog  # noqa: E402
from pal_emulator.process import start_emulator  # noqa: E402
from pal_engine import ProviderHost  # noqa: E402
from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402

from pal_provider.provider.pal import PAL_TYPE_TOKEN, PalProvider  # noqa: E402
from pal_provider.provider.state import PROVIDER_KEY  # noqa: E402

API_KEY = "bench-fleet-key"
TTS_SECRET = "bench-fleet-tts-secret"
FACE_ID = "rbe0c4f1ee7a"
PROJECT = "palfleet"
TARGET_RATIO = 1.3
PAL_PATH = "/v2/pals/{id}"


@dataclass
class Timings:
    """Client-side durations of provider calls, per gRPC method (thread-safe).

    ``api_calls`` names the methods that talk to the API (the others make no request).
    """

    api_calls: frozenset[str]
    samples: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, method: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.samples.setdefault(method, []).append(elapsed)

    def api_call_ms(self) -> list[float]:
        return [ms for method in self.api_calls for ms in self.samples.get(method, [])]


@dataclass(frozen=True)
class Phase:
    name: str
    needed: Counter[str]
    wall_s: float
    made: Counter[str]
    timings: Timings
    emulator_ms_total: float
    cpu_s: dict[str, float]

    @property
    def needed_total(self) -> int:
        return sum(self.needed.values())

    @property
    def made_total(self) -> int:
        return sum(self.made.values())

    def floor_s(self, latency_ms: float, callers: int) -> float:
        return self.needed_total * latency_ms / 1000 / callers

    def emulator_ms_per_request(self) -> float:
        return self.emulator_ms_total / max(1, self.made_total)

    def overhead_ms(self) -> float:
        """Mean time per API-calling provider call not spent inside the emulator."""
        samples = self.timings.api_call_ms()
        return (sum(samples) - self.emulator_ms_total) / max(1, len(samples))


def pal_spec(index: int, prompt_suffix: str = "") -> dict[str, Any]:
    return {
        "pal_name": f"bench-fleet-{index:04d}",
        "system_prompt": f"You are bench PAL {index}. Answer briefly.{prompt_suffix}",
        "pipeline_mode": "full",
        "default_face_id": FACE_ID,
        "context": "A benchmark fleet.",
        "document_tags": ["bench", f"group-{index % 10}"],
        "layers": {
            "llm": {"model": "tavus-glm-4.7", "speculative_inference": True},
            "tts": {"tts_engine": "cartesia", "api_key": {"$secret": "palfleet:ttsApiKey"}},
            "stt": {"participant_pause_sensitivity": "medium"},
        },
    }


def pal_props(blob: str, index: int, prompt_suffix: str = "") -> dict[str, Any]:
    """What ``PalResource`` sends (None-valued inputs are dropped by the SDK)."""
    return {
        PROVIDER_KEY: blob,
        "logical_name": f"bench-{index:04d}",
        "spec": pal_spec(index, prompt_suffix),
        "secrets": {"/layers/tts/api_key": TTS_SECRET},
        "settings": {"force_maker_overwrite": False},
    }


def urn_of(index: int) -> str:
    return f"urn:pulumi:bench::{PROJECT}::{PAL_TYPE_TOKEN}::bench-{index:04d}"


def api_requests(log: RequestLog) -> Counter[str]:
    return Counter({k: n for k, n in log.by_template().items() if " /v2" in k})


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux ``/proc``; 0.0 where unavailable)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pids: dict[str, int | None]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def run_phase(
    name: str,
    needed: Counter[str],
    work: Callable[[int, Timings], None],
    indices: Iterable[int],
    callers: int,
    control: EmulatorControl,
    pids: dict[str, int | None],
) -> Phase:
    control.clear_requests()
    timings = Timings(api_calls=frozenset({"create", "update", "delete"}))
    cpu_before = cpu_snapshot(pids)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        for future in [pool.submit(work, index, timings) for index in indices]:
            future.result()
    wall = time.perf_counter() - started
    cpu_after = cpu_snapshot(pids)
    log = control.requests()
    emulator_ms = sum(entry.duration_ms for entry in log.entries if entry.path.startswith("/v2"))
    cpu = {key: cpu_after[key] - cpu_before[key] for key in pids}
    return Phase(name, needed, wall, api_requests(log), timings, emulator_ms, cpu)


def format_requests(counts: Counter[str]) -> str:
    return ", ".join(f"{key} x{n}" for key, n in sorted(counts.items())) or "none"


def format_calls(timings: Timings) -> str:
    return ", ".join(
        f"{method} {statistics.mean(samples):.1f} ms (p95 {percentile(samples, 0.95):.1f})"
        for method, samples in timings.samples.items()
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def print_report(phases: list[Phase], args: argparse.Namespace, first_check_s: float) -> bool:
    print(
        f"fleet benchmark: {args.pals} PALs, {args.latency_ms:g} ms added to every /v2 request, "
        f"{args.callers} concurrent callers -> python -m pulumi.dynamic (4 worker threads)"
    )
    print(
        f"warm-up: the first Check took {first_check_s * 1000:.0f} ms (the server imports "
        "pal_provider, unpickles and configures the provider once); not counted below"
    )
    header = f"{'phase':<8}{'made':>6}{'needed':>8}{'wall s':>9}{'floor s':>9}{'ratio':>7}"
    print(header)
    print("-" * len(header))
    for phase in phases:
        floor = phase.floor_s(args.latency_ms, args.callers)
        print(
            f"{phase.name:<8}{phase.made_total:>6}{phase.needed_total:>8}{phase.wall_s:>9.2f}"
            f"{floor:>9.2f}{phase.wall_s / floor:>7.2f}"
        )
    print()
    for phase in phases:
        print(f"{phase.name:<8} made:   {format_requests(phase.made)}")
        print(f"{'':<8} needed: {format_requests(phase.needed)}")
        print(f"{'':<8} calls:  {format_calls(phase.timings)}")
        print(
            f"{'':<8} time not spent in the emulator per API-calling call: "
            f"{phase.overhead_ms():.1f} ms"
        )
        print(
            f"{'':<8} emulator time per request: {phase.emulator_ms_per_request():.1f} ms "
            f"({phase.emulator_ms_per_request() - args.latency_ms:.1f} ms beyond the latency)"
        )
        print(
            f"{'':<8} CPU s (share of wall): "
            + ", ".join(
                f"{proc} {cpu:.2f} ({cpu / phase.wall_s:.0%})" for proc, cpu in phase.cpu_s.items()
            )
        )
    wall = sum(p.wall_s for p in phases)
    floor = sum(p.floor_s(args.latency_ms, args.callers) for p in phases)
    made = sum(p.made_total for p in phases)
    needed = sum(p.needed_total for p in phases)
    exact = all(p.made == p.needed for p in phases)
    ratio = wall / floor
    print()
    print(
        f"overall: {made} requests made / {needed} needed "
        f"({'exactly the needed ones' if exact else 'EXTRA OR MISSING REQUESTS'}), "
        f"wall {wall:.2f} s, floor {floor:.2f} s, ratio {ratio:.2f} "
        f"(target <= {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    return exact and ratio <= TARGET_RATIO


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pals", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--callers", type=int, default=4)
    args = parser.parse_args()
    n = args.pals

    blob = serialize_provider(PalProvider())
    emulator = start_emulator(api_key=API_KEY)
    config = {"palfleet:tavusApiKey": API_KEY, "palfleet:apiBaseUrl": emulator.base_url}
    secrets = [API_KEY, TTS_SECRET]
    ids: dict[int, str] = {}
    inputs: dict[int, dict[str, Any]] = {}
    outputs: dict[int, dict[str, Any]] = {}

    def create(host: ProviderHost, index: int, timings: Timings) -> None:
        urn = urn_of(index)
        checked = timings.timed("check", lambda: host.check(urn, {}, pal_props(blob, index)))
        if checked.failures:
            raise SystemExit(f"check failed for {urn}: {checked.failures}")
        created = timings.timed("create", lambda: host.create(urn, checked.inputs))
        ids[index], inputs[index], outputs[index] = created.id, checked.inputs, created.outputs

    def update(host: ProviderHost, index: int, timings: Timings) -> None:
        urn, pal_id, olds, old_inputs = urn_of(index), ids[index], outputs[index], inputs[index]
        news = pal_props(blob, index, " Be kind.")
        checked = timings.timed("check", lambda: host.check(urn, old_inputs, news))
        diff = timings.timed(
            "diff", lambda: host.diff(pal_id, urn, olds, checked.inputs, old_inputs=old_inputs)
        )
        if diff.changes != "some":
            raise SystemExit(f"diff of {urn} found no change: {diff}")
        outputs[index] = timings.timed(
            "update",
            lambda: host.update(pal_id, urn, olds, checked.inputs, old_inputs=old_inputs),
        )
        inputs[index] = checked.inputs

    def delete(host: ProviderHost, index: int, timings: Timings) -> None:
        urn = urn_of(index)
        timings.timed(
            "delete",
            lambda: host.delete(ids[index], urn, outputs[index], old_inputs=inputs[index]),
        )

    try:
        with (
            emulator.control() as control,
            ProviderHost(REPO_ROOT, PROJECT, config, secret_values=secrets) as host,
        ):
            control.seed(faces=[{"face_id": FACE_ID, "face_name": "bench face"}])
            control.add_fault(path="/v2/*", latency_ms=args.latency_ms)
            started = time.perf_counter()
            host.check(urn_of(n), {}, pal_props(blob, n))  # makes no API request
            first_check_s = time.perf_counter() - started
            pids = {
                "bench (engine side)": os.getpid(),
                "provider server": host.pid,
                "emulator": emulator.process.pid,
            }
            steps: list[tuple[str, Counter[str], Callable[[ProviderHost, int, Timings], None]]] = [
                ("create", Counter({"POST /v2/pals": n}), create),
                ("update", Counter({f"PATCH {PAL_PATH}": n}), update),
                ("delete", Counter({f"DELETE {PAL_PATH}": n}), delete),
            ]
            phases = [
                run_phase(
                    name,
                    needed,
                    functools.partial(step, host),
                    range(n),
                    args.callers,
                    control,
                    pids,
                )
                for name, needed, step in steps
            ]
    finally:
        emulator.stop()
    ok = print_report(phases, args, first_check_s)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
