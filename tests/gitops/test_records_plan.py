"""plan and drift cover guardrails and objective sets: matched by name, compared by canonical
form, and a PAL's guardrail_ids / objectives_id compared as this account's ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pal_provider.api import PalClient
from pal_provider.core.masking import replace_secret_refs
from pal_provider.core.records import GUARDRAIL, OBJECTIVES
from pal_provider.declaration import load_stack
from pal_provider.declaration.resolve import with_record_ids
from pal_provider.gitops.compare import record_ids

from .conftest import ANNA, PLANTED, Invoke, resolved, write_stack

STACK = f"""\
version: 1
bindings:
  api_base_url: http://127.0.0.1:9/v2
  faces: {{anna: {ANNA}}}
guardrails:
  no-diagnosis:
    guardrail_prompt: Never diagnose.
    tags: [health]
objectives:
  intake:
    data:
      - {{objective_name: greet, objective_prompt: Say hello., next_required_objective: ask}}
      - {{objective_name: ask, objective_prompt: Ask what they need.}}
pals:
  nurse:
    pal_name: Nurse
    face: anna
    system_prompt: Help with appointments.
    palfleet: {{guardrails: [no-diagnosis], objectives: intake}}
"""


def apply_with_records(client: PalClient, root: Path, stack: str) -> dict[str, Any]:
    """What `pulumi up` makes: the records, then the PAL pointing at their ids."""
    fleet = resolved(root, stack)
    ids: dict[tuple[str, str], str] = {}
    for name, record in fleet.guardrails.items():
        ids[(GUARDRAIL.kind, name)] = client.create_record(GUARDRAIL, record.body)["guardrail_id"]
    for name, record in fleet.objectives.items():
        ids[(OBJECTIVES.kind, name)] = client.create_record(OBJECTIVES, record.body)[
            "objectives_id"
        ]
    nurse = with_record_ids(
        fleet.pals["nurse"],
        lambda name: ids[(GUARDRAIL.kind, name)],
        lambda name: ids[(OBJECTIVES.kind, name)],
    )
    body = replace_secret_refs(nurse, lambda _p, key: PLANTED[key])
    return {"ids": ids, "pal": client.create_pal(body)}


def test_a_new_stack_plans_its_records_first(palfleet: Invoke, stack_root: Path) -> None:
    write_stack(stack_root, "care", STACK)
    plan = palfleet("plan", "--stack", "care")
    assert plan.exit_code == 2, plan.stdout + plan.stderr
    assert "+ create guardrail no-diagnosis" in plan.stdout
    assert "+ create objective set intake" in plan.stdout
    data = json.loads(palfleet("plan", "--stack", "care", "--format", "json").stdout)
    assert data["summary"]["records_create"] == 2
    (nurse,) = data["pals"]
    changes = {c["path"]: c for c in nurse["changes"]}
    assert changes["objectives_id"]["new"] == "<new objectives intake>"


def test_applied_records_plan_clean_and_a_changed_prompt_is_an_update(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    write_stack(stack_root, "care", STACK)
    applied = apply_with_records(client, stack_root, "care")
    clean = palfleet("plan", "--stack", "care")
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    assert palfleet("drift", "--stack", "care").exit_code == 0

    write_stack(stack_root, "care", STACK.replace("Never diagnose.", "Never diagnose anyone."))
    changed = palfleet("plan", "--stack", "care", "--format", "json")
    assert changed.exit_code == 2
    data = json.loads(changed.stdout)
    (record,) = [r for r in data["records"] if r["action"] != "unchanged"]
    assert record["kind"] == "guardrail" and record["name"] == "no-diagnosis"
    assert record["id"] == applied["ids"][("guardrail", "no-diagnosis")]
    assert [c["path"] for c in record["changes"]] == ["guardrail_prompt"]
    assert all(p["action"] == "unchanged" for p in data["pals"]), "the PAL keeps the same ids"


def test_a_pal_pointing_elsewhere_is_a_change(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    write_stack(stack_root, "care", STACK)
    applied = apply_with_records(client, stack_root, "care")
    other = client.create_record(GUARDRAIL, {"guardrail_name": "x", "guardrail_prompt": "y"})
    client.patch_pal(
        applied["pal"]["pal_id"],
        [{"op": "replace", "path": "/guardrail_ids", "value": [other["guardrail_id"]]}],
    )
    drift = palfleet("drift", "--stack", "care", "--format", "json")
    assert drift.exit_code == 2
    (nurse,) = json.loads(drift.stdout)["pals"]
    assert [c["path"] for c in nurse["changes"]] == ["guardrail_ids"]


def test_record_ids_name_what_an_apply_creates() -> None:
    from pal_provider.gitops.compare import ToolComparison

    ids = record_ids(
        [
            ToolComparison("a", "unchanged", "g0123456789a", kind="guardrail"),
            ToolComparison("b", "create", None, kind="objectives"),
        ],
    )
    assert ids == {("guardrail", "a"): "g0123456789a", ("objectives", "b"): "<new objectives b>"}


def test_export_round_trips_records_and_names_every_reference(
    palfleet: Invoke, stack_root: Path, client: PalClient, emulator: Any, tmp_path: Path
) -> None:
    docs = emulator.control.seed(documents=[{"document_name": "Care FAQ"}])["documents"]
    write_stack(stack_root, "care", STACK)
    applied = apply_with_records(client, stack_root, "care")
    client.patch_pal(
        applied["pal"]["pal_id"], [{"op": "add", "path": "/document_ids", "value": docs}]
    )
    out = tmp_path / "exported.yaml"
    exported = palfleet("export", "--stack", "care", "--output", str(out))
    assert exported.exit_code == 0, exported.stdout + exported.stderr
    text = out.read_text()
    for record_id in applied["ids"].values():
        assert record_id not in text, "a record is named, never referred to by id"
    assert text.count(docs[0]) == 1, "a document id is bound once, in bindings.documents"
    write_stack(stack_root, "round", text)
    loaded = load_stack("round", stack_root)
    assert loaded.ok, [f.render() for f in loaded.findings]
    assert loaded.fleet is not None
    assert set(loaded.fleet.guardrails) == {"no-diagnosis"}
    assert set(loaded.fleet.objectives) == {"intake"}
    nurse = next(iter(loaded.fleet.pals.values()))
    assert nurse.palfleet is not None
    assert nurse.palfleet.guardrails == ["no-diagnosis"] and nurse.palfleet.objectives == "intake"
    assert nurse.palfleet.documents == ["care-faq"]
    assert loaded.fleet.bindings.documents == {"care-faq": docs[0]}
    assert nurse.guardrail_ids is None and nurse.objectives_id is None
    plan = palfleet("plan", "--stack", "round")
    assert plan.exit_code == 0, plan.stdout + plan.stderr


def _bindings_for(stack_text: str, documents: str) -> str:
    return stack_text.replace(
        f"  faces: {{anna: {ANNA}}}\n", f"  faces: {{anna: {ANNA}}}\n  documents: {documents}\n"
    )


def test_promotion_carries_records_by_name_and_never_an_id(
    palfleet: Invoke, stack_root: Path, client: PalClient, emulator: Any
) -> None:
    dev_doc, staging_doc, prod_doc = emulator.control.seed(
        documents=[{"document_name": n} for n in ("dev faq", "staging faq", "prod faq")]
    )["documents"]
    dev = _bindings_for(STACK, f"{{faq: {dev_doc}}}").replace(
        "objectives: intake}", "objectives: intake, documents: [faq]}"
    )
    write_stack(stack_root, "dev", dev)
    empty = (
        f"version: 1\nbindings:\n  api_base_url: http://127.0.0.1:9/v2\n  faces: {{anna: {ANNA}}}\n"
    )
    write_stack(
        stack_root, "staging", _bindings_for(empty + "pals: {}\n", f"{{faq: {staging_doc}}}")
    )
    write_stack(stack_root, "prod", _bindings_for(empty + "pals: {}\n", f"{{faq: {prod_doc}}}"))
    applied = apply_with_records(client, stack_root, "dev")

    # Only what ran is promoted: the records the PAL uses are verified too.
    client.patch_record(
        GUARDRAIL,
        applied["ids"][("guardrail", "no-diagnosis")],
        [{"op": "add", "path": "/guardrail_prompt", "value": "edited by hand"}],
    )
    refused = palfleet("promote", "dev", "staging", "--write")
    assert refused.exit_code == 1 and "guardrails.no-diagnosis" in refused.stderr
    client.patch_record(
        GUARDRAIL,
        applied["ids"][("guardrail", "no-diagnosis")],
        [{"op": "add", "path": "/guardrail_prompt", "value": "Never diagnose."}],
    )
    first = palfleet("promote", "dev", "staging", "--write")
    assert first.exit_code == 0, first.stdout + first.stderr
    second = palfleet("promote", "--unverified", "staging", "prod", "--write")
    assert second.exit_code == 0, second.stdout + second.stderr
    for stack, doc in (("staging", staging_doc), ("prod", prod_doc)):
        text = (stack_root / stack / "fleet.yaml").read_text()
        for raw in (dev_doc, applied["pal"]["pal_id"], *applied["ids"].values()):
            assert raw not in text, (stack, raw)
        loaded = load_stack(stack, stack_root)
        assert loaded.ok, [f.render() for f in loaded.findings]
        fleet = loaded.resolved_fleet()
        assert set(fleet.guardrails) == {"no-diagnosis"} and set(fleet.objectives) == {"intake"}
        assert fleet.pals["nurse"].body["document_ids"] == [doc]


def test_promotion_names_an_unbound_document(palfleet: Invoke, stack_root: Path) -> None:
    dev = _bindings_for(STACK, "{faq: d0123456789a}").replace(
        "objectives: intake}", "objectives: intake, documents: [faq]}"
    )
    write_stack(stack_root, "dev", dev)
    write_stack(
        stack_root,
        "staging",
        f"version: 1\nbindings:\n  api_base_url: http://127.0.0.1:9/v2\n  faces: {{anna: {ANNA}}}\npals: {{}}\n",
    )
    refused = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert refused.exit_code == 1
    assert "document 'faq' is not bound in stack staging" in refused.stderr


def test_forms_computed_ahead_compare_the_same() -> None:
    """plan computes the declared canonical forms while it reads the account: the comparison
    is the one compare_fleet makes without them."""
    from pal_provider.gitops.compare import compare_fleet, declared_forms
    from pal_provider.gitops.live import LiveAccount

    repo_stacks = Path(__file__).resolve().parents[2] / "stacks"
    fleet = load_stack("dev", repo_stacks).resolved_fleet()
    live_pals = {
        f"p{i:011x}": {**pal.body, "pal_id": f"p{i:011x}", "greeting": f"edited {i}"}
        for i, pal in enumerate(fleet.pals.values())
    }
    live = LiveAccount(pals=live_pals, tools={})
    forms = declared_forms(fleet)
    assert forms and set(forms) < set(fleet.pals), "migrating and record-using PALs are left out"
    assert compare_fleet(fleet, live, forms) == compare_fleet(fleet, live)
