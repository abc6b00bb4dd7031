"""palfleet promote: intent moves, bindings and comments stay, removals and overwrites guarded."""

from __future__ import annotations

import json
from pathlib import Path

from pal_provider.api import PalClient
from pal_provider.declaration import load_stack

from .conftest import ANNA, FLEET, NATHAN, Invoke, apply_fleet, resolved, write_stack

STAGING = (
    FLEET.format(anna="r0000000aaaa", nathan="r0000000bbbb")
    .replace(
        "# test fleet (comments must survive promotion)", "# staging: hand-written header comment"
    )
    .replace("llm.example.com", "llm-staging.example.com")
    .replace("  faces:", "  adopt_ids:\n    coach: p0000000c0ac\n  faces:  # staging faces")
)


def _stacks(stack_root: Path) -> Path:
    write_stack(stack_root, "staging", STAGING)
    return stack_root / "staging" / "fleet.yaml"


def test_promotes_intent_keeps_bindings_and_comments(palfleet: Invoke, stack_root: Path) -> None:
    target = _stacks(stack_root)
    dev = stack_root / "dev" / "fleet.yaml"
    dev.write_text(
        dev.read_text()
        .replace("Tell short stories.", "Tell short, gentle stories.")
        .replace(
            "    palfleet:\n      tools: [log_mood]",
            "    palfleet:\n      adopt_id: pdev0000000a\n      tools: [log_mood]",
        )
    )
    dry = palfleet("promote", "--unverified", "dev", "staging")
    assert dry.exit_code == 2, dry.stderr
    assert "-    system_prompt: Tell short stories." in dry.stdout
    assert "+    system_prompt: Tell short, gentle stories." in dry.stdout
    assert "adopt_id was not promoted" in dry.stderr
    assert target.read_text() == STAGING  # dry run writes nothing
    written = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert written.exit_code == 0, written.stderr
    text = target.read_text()
    assert all(line == line.rstrip() for line in text.splitlines()), "no trailing whitespace"
    assert text.startswith("# staging: hand-written header comment")
    assert "faces:  # staging faces" in text
    assert "pdev0000000a" not in text
    fleet = load_stack("staging", stack_root).fleet
    assert fleet is not None
    assert fleet.bindings.faces == {"anna": "r0000000aaaa", "nathan": "r0000000bbbb"}
    assert fleet.bindings.adopt_ids == {"coach": "p0000000c0ac"}
    assert (
        fleet.bindings.llm_endpoints["story-llm"].base_url == "https://llm-staging.example.com/v1"
    )
    assert fleet.pals["story"].system_prompt == "Tell short, gentle stories."
    assert (
        palfleet("promote", "--unverified", "dev", "staging").exit_code == 0
    )  # nothing left to promote
    assert (stack_root / "staging" / ".promoted.json").is_file()
    assert ANNA not in text and NATHAN not in text


def test_removal_needs_the_flag(palfleet: Invoke, stack_root: Path) -> None:
    target = _stacks(stack_root)
    target.write_text(
        target.read_text().replace(
            "\ntools:",
            "  extra:\n    pal_name: Extra\n    face: anna\n    system_prompt: x\n\ntools:",
        )
    )
    refused = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert refused.exit_code == 1 and "would remove pals.extra" in refused.stderr
    assert "--allow-removal" in refused.stderr
    allowed = palfleet("promote", "--unverified", "dev", "staging", "--write", "--allow-removal")
    assert allowed.exit_code == 0, allowed.stderr
    assert "extra:" not in target.read_text()


def test_independent_edit_needs_force(palfleet: Invoke, stack_root: Path) -> None:
    target = _stacks(stack_root)
    assert palfleet("promote", "--unverified", "dev", "staging", "--write").exit_code == 0
    record = json.loads((stack_root / "staging" / ".promoted.json").read_text())
    assert record["source"] == "dev" and "pals.coach" in record["parts"]
    target.write_text(target.read_text().replace("Tell short stories.", "Hotfix in staging."))
    dev = stack_root / "dev" / "fleet.yaml"
    dev.write_text(dev.read_text().replace("Tell short stories.", "New dev story prompt."))
    refused = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert refused.exit_code == 1
    assert "pals.story" in refused.stderr and "--force" in refused.stderr
    forced = palfleet("promote", "--unverified", "dev", "staging", "--write", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "New dev story prompt." in target.read_text()


def test_missing_binding_is_named_with_the_fix(palfleet: Invoke, stack_root: Path) -> None:
    target = _stacks(stack_root)
    target.write_text(target.read_text().replace("    nathan: r0000000bbbb\n", ""))
    before = target.read_text()
    result = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert result.exit_code == 1
    assert "pals.story.face: face 'nathan' is not bound in stack staging" in result.stderr
    assert "add bindings.faces.nathan" in result.stderr
    assert target.read_text() == before


def test_pal_restriction_promotes_only_that_pal(palfleet: Invoke, stack_root: Path) -> None:
    target = _stacks(stack_root)
    dev = stack_root / "dev" / "fleet.yaml"
    dev.write_text(
        dev.read_text()
        .replace("Tell short stories.", "Changed story.")
        .replace("Agree on a next step.", "Agree on two next steps.")
    )
    result = palfleet("promote", "--unverified", "dev", "staging", "--pal", "story", "--write")
    assert result.exit_code == 0, result.stderr
    text = target.read_text()
    assert "Changed story." in text and "Agree on a next step." in text


# -- only what ran is promoted -----------------------------------------------------------------


def test_promotion_is_verified_against_the_source_account_and_recorded(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    _stacks(stack_root)
    dev = stack_root / "dev" / "fleet.yaml"
    dev.write_text(dev.read_text().replace("Tell short stories.", "Tell short, gentle stories."))
    apply_fleet(client, resolved(stack_root))  # dev's account runs exactly dev's declaration

    written = palfleet("promote", "dev", "staging", "--write")

    assert written.exit_code == 0, written.stderr
    assert "verified: 2 PAL(s) and 1 tool(s) are applied and unchanged in dev" in written.stderr
    record = json.loads((stack_root / "staging" / ".promoted.json").read_text())
    verification = record["verification"]
    assert verification["verified"] is True and verification["source"] == "dev"
    assert verification["pals"] == ["coach", "story"] and verification["tools"] == ["log_mood"]
    assert record["source_parts"]["pals.story"].startswith("sha256:")


def test_what_never_ran_or_drifted_in_the_source_is_refused_by_name(
    palfleet: Invoke, stack_root: Path, client: PalClient
) -> None:
    _stacks(stack_root)
    ids = apply_fleet(client, resolved(stack_root))
    client.patch_pal(ids["story"], [{"op": "replace", "path": "/system_prompt", "value": "Hm."}])
    dev = stack_root / "dev" / "fleet.yaml"
    newcomer = "  newcomer:\n    pal_name: Newcomer\n    face: anna\n    system_prompt: Say hi.\n"
    dev.write_text(dev.read_text().replace("pals:\n", "pals:\n" + newcomer, 1))

    refused = palfleet("promote", "dev", "staging")

    assert refused.exit_code == 1
    assert "refusing to promote what did not run in dev" in refused.stderr
    assert "pals.newcomer: never applied in dev" in refused.stderr
    assert f"pals.story: the live PAL {ids['story']} in dev differs" in refused.stderr
    assert "system_prompt" in refused.stderr and "--unverified" in refused.stderr
    assert "pals.coach" not in refused.stderr
    only_coach = palfleet("promote", "dev", "staging", "--pal", "coach")
    assert only_coach.exit_code == 0, only_coach.stderr  # coach ran unchanged: nothing to do
    assert "verified: 1 PAL(s) and 1 tool(s)" in only_coach.stderr
    unverified = palfleet("promote", "--unverified", "dev", "staging", "--write")
    assert unverified.exit_code == 0, unverified.stderr
    record = json.loads((stack_root / "staging" / ".promoted.json").read_text())
    assert record["verification"] == {"verified": False, "reason": "--unverified"}
