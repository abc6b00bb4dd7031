"""Every field and layer of contract revision 2 can be declared, and a PAL created from the
declaration plans with zero changes against the emulator (what the server fills in is known)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pal_provider.api import PalClient

from .conftest import ANNA, Invoke, apply_fleet, resolved, write_stack

REVISION_2 = f"""\
version: 1
bindings:
  api_base_url: http://127.0.0.1:9/v2
  faces:
    anna: {ANNA}
pals:
  everything:
    pal_name: Everything
    face: anna
    system_prompt: Use every field.
    layers:
      llm:
        model: tavus-gemma-4
        endpoint: chat
        model_name: gemma
        is_custom: false
        disable_vision: true
      tts:
        playht_user_id: u-1
      perception:
        ambient_awareness_queries: [is the room loud?]
        tool_prompt: Use tools sparingly.
      conversational_flow:
        face_interruptibility: low
        turn_commitment: high
        active_listening: "on"
        noise_cancellation: "on"
        wake_phrase: hey coach
        sleep_phrase: goodbye coach
        idle_engagement: gentle
      conferencing:
        username: everything-pal
        whitelabel: true
      sts: {{voice: calm, nested: {{keys: [1, 2]}}}}
      transport: {{transport_type: livekit}}
      capabilities:
        mcp_enabled: true
        search_enabled: false
        activity_log_enabled: true
        search_results_prompt_injection_prevention_enabled: true
      knowledge_base:
        rag_score_threshold: 0.35
        rag_n_chunks: 4
        rag_surrounding_chunk_radius: 1
        enable_rag_observability_app_messages: false
        use_procedure_goalchain: true
  faceless:
    pal_name: Faceless
    system_prompt: A PAL without a face (revision 2).
  older-name:
    pal_name: Older Name
    face: anna
    system_prompt: Written with revision 1's name.
    layers:
      conversational_flow:
        pal_interruptibility: high
"""


def test_revision_2_fields_plan_clean_after_create(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    write_stack(stack_root, "rev2", REVISION_2)
    fleet = resolved(stack_root, "rev2")
    flow = fleet.pals["older-name"].body["layers"]["conversational_flow"]
    assert flow == {"face_interruptibility": "high"}, "the older name is sent as the new one"
    pal_ids = apply_fleet(client, fleet)

    plan = palfleet("plan", "--stack", "rev2")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "pal_interruptibility is the older name of face_interruptibility" in plan.stdout
    assert "no changes" in plan.stdout

    live: dict[str, Any] = client.get_pal(pal_ids["everything"])
    assert live["layers"]["sts"]["nested"] == {"keys": [1, 2]}
    assert live["layers"]["conversational_flow"]["face_interruptibility"] == "low"
    assert "default_face_id" not in client.get_pal(pal_ids["faceless"])


def test_a_changed_open_layer_key_is_a_change(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    write_stack(stack_root, "rev2", REVISION_2)
    apply_fleet(client, resolved(stack_root, "rev2"))
    write_stack(
        stack_root, "rev2", REVISION_2.replace("transport_type: livekit", "transport_type: daily")
    )
    plan = palfleet("plan", "--stack", "rev2", "--format", "json")
    assert plan.exit_code == 2, plan.stdout + plan.stderr
    assert "layers.transport.transport_type" in plan.stdout
