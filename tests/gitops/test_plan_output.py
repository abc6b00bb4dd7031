"""What a plan says besides the changes: what it compares, warnings, errors in every format,
``--pal``, unchanged PALs in JSON and new content in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pal_provider.api import PalClient

from .conftest import Invoke, apply_fleet, resolved

LONG_PROMPT = "\n".join(f"Rule {i}: answer the user's question about topic {i}." for i in range(12))


def _with_long_deprecated_pal(stack_root: Path) -> None:
    fleet = stack_root / "dev" / "fleet.yaml"
    block = "".join(f"      {line}\n" for line in LONG_PROMPT.splitlines())
    newcomer = (
        "  tutor:\n    pal_name: Tutor\n    face: anna\n    system_prompt: |\n"
        f"{block}    layers:\n      llm:\n        model: tavus-gpt-4o\n"
    )
    fleet.write_text(fleet.read_text().replace("pals:\n", "pals:\n" + newcomer, 1))


def test_the_plan_says_what_it_compares_and_carries_the_warnings_in_every_format(
    palfleet: Invoke, stack_root: Path, emulator: Any
) -> None:
    _with_long_deprecated_pal(stack_root)

    text = palfleet("plan", "--stack", "dev")
    markdown = palfleet("plan", "--stack", "dev", "--format", "markdown")
    data = json.loads(palfleet("plan", "--stack", "dev", "--format", "json").stdout)

    assert text.exit_code == 2
    assert f"with the live account at {emulator.base_url}" in text.stdout
    assert "not Pulumi's state" in text.stdout and "pulumi refresh" in text.stdout
    assert "model 'tavus-gpt-4o' is deprecated" in text.stdout
    assert "**Warnings**" in markdown.stdout and "tavus-gpt-4o" in markdown.stdout
    assert any("tavus-gpt-4o" in warning for warning in data["warnings"])
    assert data["compares"]["account"] == emulator.base_url
    # A new PAL's prompt is shown whole, not as "text (N chars)".
    for line in LONG_PROMPT.splitlines():
        assert f"+{line}" in text.stdout


def test_an_invalid_declaration_is_an_error_in_the_requested_format(
    palfleet: Invoke, stack_root: Path, emulator: Any
) -> None:
    fleet = stack_root / "dev" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("face: anna", "face: nobody", 1))
    emulator.control.clear_requests()

    markdown = palfleet("plan", "--stack", "dev", "--format", "markdown")
    as_json = palfleet("plan", "--stack", "dev", "--format", "json")
    text = palfleet("plan", "--stack", "dev")

    assert markdown.exit_code == as_json.exit_code == text.exit_code == 1
    assert markdown.stdout.startswith("### palfleet plan: stack `dev`")
    assert "**Error:**" in markdown.stdout and "nobody" in markdown.stdout
    error = json.loads(as_json.stdout)["error"]
    assert "invalid" in error["message"] and any("nobody" in d for d in error["details"])
    assert text.stdout == "" and text.stderr.startswith("palfleet: ")
    assert {e.method for e in emulator.control.requests().entries} <= {"GET"}, "nothing written"


def test_pal_filter_and_unchanged_pals_in_json(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    client.patch_pal(ids["story"], [{"op": "replace", "path": "/system_prompt", "value": "Hm."}])

    data = json.loads(palfleet("plan", "--stack", "dev", "--format", "json").stdout)
    actions = {p["logical_name"]: p["action"] for p in data["pals"]}
    assert actions == {"coach": "unchanged", "story": "update"}

    coach_only = palfleet("plan", "--stack", "dev", "--pal", "coach")
    assert coach_only.exit_code == 0, coach_only.stdout
    assert "only: coach" in coach_only.stdout and "story" not in coach_only.stdout
    story_only = palfleet("drift", "--stack", "dev", "--pal", "story", "--format", "json")
    assert story_only.exit_code == 2
    assert [p["logical_name"] for p in json.loads(story_only.stdout)["pals"]] == ["story"]
    emulator.control.clear_requests()
    unknown = palfleet("plan", "--stack", "dev", "--pal", "nobody")
    assert unknown.exit_code == 1 and "--pal nobody" in unknown.stderr
    assert emulator.control.requests().count() == 0


def test_a_declared_default_value_is_shown_as_declared_not_as_a_removal(
    palfleet: Invoke, client: PalClient, stack_root: Path
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    client.patch_pal(
        ids["coach"],
        [{"op": "add", "path": "/layers/perception", "value": {"perception_model": "off"}}],
    )
    fleet = stack_root / "dev" / "fleet.yaml"
    fleet.write_text(
        fleet.read_text().replace(
            "    palfleet:\n      tools: [log_mood]",
            "    layers:\n      perception: {perception_model: raven-1}\n"
            "    palfleet:\n      tools: [log_mood]",
            1,
        )
    )

    result = palfleet("plan", "--stack", "dev")

    assert result.exit_code == 2, result.stdout
    assert (
        '~ layers.perception: {"perception_model": "off"} -> {"perception_model": "raven-1"}'
        in (result.stdout)
    )
    assert "- layers.perception" not in result.stdout


def test_a_changed_secret_reference_shows_against_the_base_revision(
    palfleet: Invoke, client: PalClient, stack_root: Path
) -> None:
    import subprocess

    apply_fleet(client, resolved(stack_root))

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=stack_root,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    fleet = stack_root / "dev" / "fleet.yaml"
    fleet.write_text(
        fleet.read_text().replace("palfleet:storyLlmApiKey}", "palfleet:storyLlmApiKeyRotated}")
    )

    without_base = palfleet("plan", "--stack", "dev")
    with_base = palfleet("plan", "--stack", "dev", "--base", "HEAD")
    bad_base = palfleet("plan", "--stack", "dev", "--base", "no-such-ref")

    assert without_base.exit_code == 0, "the live account masks secrets: nothing to see"
    assert with_base.exit_code == 2, with_base.stdout
    assert "~ layers.llm.api_key: [secret changed]" in with_base.stdout
    assert "~ update story" in with_base.stdout
    assert bad_base.exit_code == 1 and "--base no-such-ref" in bad_base.stderr
