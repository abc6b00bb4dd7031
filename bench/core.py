"""Benchmark of the core hot path: canonicalize(live) + canonicalize(declared) + diff + patch.

Run: ``.venv/bin/python bench/core.py [--runs N]``. The PAL has a 20,000-character system
prompt and 50 inline tools; the declared copy changes a few fields, the prompt and one tool.
Target: 5 ms per PAL (median).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from pal_provider.core import canonicalize, diff_documents, make_patch, patch_from_changes

TARGET_MS = 5.0


def build_pal() -> dict[str, Any]:
    prompt_line = "You are a patient onboarding guide. Answer briefly and check understanding.\n"
    prompt = (prompt_line * (20_000 // len(prompt_line) + 1))[:20_000]
    tools = [
        {
            "type": "function",
            "function": {
                "name": f"lookup_{i}",
                "description": f"Look up record kind {i} by id and return its current status.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "record id"},
                        "verbose": {"type": "boolean"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    "required": ["id"],
                },
            },
        }
        for i in range(50)
    ]
    return {
        "pal_id": "pcb7a34da5fe",
        "pal_name": "Onboarding guide",
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-02T00:00:00.000000Z",
        "owner_id": "u1",
        "system_prompt": prompt,
        "pipeline_mode": "full",
        "default_face_id": "r0123456789a",
        "context": "Customers are new to the product.",
        "greeting": "Hi! Ready to get started?",
        "document_tags": ["onboarding", "faq"],
        "layers": {
            "llm": {
                "model": "tavus-glm-4.7",
                "speculative_inference": True,
                "extra_body": {"temperature": 0.3, "top_p": 0.9},
                "tools": tools,
            },
            "tts": {"tts_engine": "cartesia", "voice_id": "v-123"},
            "stt": {"participant_pause_sensitivity": "medium"},
            "perception": {"perception_model": "raven-1"},
            "conversational_flow": {
                "turn_detection_model": "sparrow-1",
                "turn_taking_patience": "high",
                "face_interruptibility": "medium",
            },
        },
    }


def build_declared(live: dict[str, Any]) -> dict[str, Any]:
    declared = {
        k: v for k, v in live.items() if k not in {"pal_id", "created_at", "updated_at", "owner_id"}
    }
    layers = {name: dict(layer) for name, layer in live["layers"].items()}
    declared["layers"] = layers
    declared["system_prompt"] = (
        live["system_prompt"][:10_000] + "Always be kind.\n" + live["system_prompt"][10_000:]
    )
    declared["greeting"] = "Hello! Shall we begin?"
    layers["llm"]["extra_body"] = {"temperature": 0.5, "top_p": 0.9}
    tools = [dict(tool) for tool in layers["llm"]["tools"]]
    tools[17] = {
        "type": "function",
        "function": {**tools[17]["function"], "description": "Changed."},
    }
    layers["llm"]["tools"] = tools
    layers["tts"]["voice_id"] = "v-456"
    return declared


def one_run(live: dict[str, Any], declared: dict[str, Any]) -> int:
    changes = diff_documents(canonicalize(live, live=True), canonicalize(declared, live=False))
    return len(patch_from_changes(live, changes))


def timed(runs: int, fn: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    live = build_pal()
    declared = build_declared(live)
    ops = one_run(live, declared)
    c_live, c_declared = canonicalize(live, live=True), canonicalize(declared, live=False)
    steps: dict[str, Callable[[], object]] = {
        "canonicalize x2": lambda: (
            canonicalize(live, live=True),
            canonicalize(declared, live=False),
        ),
        "diff_documents": lambda: diff_documents(c_live, c_declared),
        "make_patch (raw docs)": lambda: make_patch(live, declared),
        "total: canon + diff + patch": lambda: one_run(live, declared),
        "total, identical documents": lambda: one_run(live, live),
    }
    for fn in steps.values():  # warm-up
        fn()
    print(
        f"PAL: {len(live['system_prompt']):,}-char prompt, {len(live['layers']['llm']['tools'])} inline tools; "
        f"{ops} patch ops; {args.runs} runs"
    )
    print(f"{'step':<30} {'median ms':>10} {'p90 ms':>10} {'median/5ms':>11}")
    for name, fn in steps.items():
        samples = sorted(timed(args.runs, fn))
        median = statistics.median(samples)
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{name:<30} {median:>10.3f} {p90:>10.3f} {median / TARGET_MS:>10.2f}x")


if __name__ == "__main__":
    main()
