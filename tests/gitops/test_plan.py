"""palfleet plan against the emulator: actions, secrets, ambiguity, determinism, requests."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from pal_provider.api import PalClient
from pal_provider.gitops.plan import READ_THREAD_NAME

from .conftest import ANNA, Invoke, apply_fleet, resolved, write_stack


def test_empty_account_plans_creates_and_exits_2(palfleet: Invoke, client: PalClient) -> None:
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 2, result.stderr
    assert "PALs: 2 to create, 0 to update" in result.stdout
    assert "+ create coach ('Coach')" in result.stdout
    assert "+ create tool log_mood" in result.stdout
    assert "+ attach tools: log_mood" in result.stdout
    assert "+ layers.llm.api_key: [secret] added" in result.stdout


def test_in_sync_account_exits_0(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("no changes")


def test_update_shows_old_new_and_prompt_diff(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    emulator.control.edit_pal(
        ids["coach"],
        {
            "greeting": "Hello!",
            "system_prompt": "You are a coach.\nTalk a lot.\nAgree on a next step.\n",
        },
    )
    text = palfleet("plan", "--stack", "dev")
    assert text.exit_code == 2
    assert f"~ update coach ('Coach', {ids['coach']})" in text.stdout
    assert '- greeting: "Hello!"' in text.stdout
    assert "+Ask one question at a time." in text.stdout
    assert "-Talk a lot." in text.stdout
    md = palfleet("plan", "--stack", "dev", "--format", "markdown").stdout
    assert "| PALs to update | 1 |" in md
    assert "<details>" in md and "<summary>diff of <code>system_prompt</code></summary>" in md
    data = json.loads(palfleet("plan", "--stack", "dev", "--format", "json").stdout)
    coach = next(p for p in data["pals"] if p["logical_name"] == "coach")
    assert data["schema"] == "palfleet.plan/2" and data["summary"]["update"] == 1
    assert {"path": "greeting", "kind": "remove", "secret": False, "old": "Hello!"} in coach[
        "changes"
    ]


def test_adopt_id_matches_by_id_and_missing_adopt_id_is_an_error(
    palfleet: Invoke, client: PalClient, stack_root: Path
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    client.patch_pal(ids["story"], [{"op": "replace", "path": "/pal_name", "value": "Renamed"}])
    text = (stack_root / "dev" / "fleet.yaml").read_text()
    adopted = text.replace("  faces:", f"  adopt_ids:\n    story: {ids['story']}\n  faces:")
    write_stack(stack_root, "dev", adopted)
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 2
    assert f"~ adopt story ('Story', {ids['story']})" in result.stdout
    assert '~ pal_name: "Renamed" -> "Story"' in result.stdout
    write_stack(stack_root, "dev", adopted.replace(ids["story"], "p00000000000"))
    missing = palfleet("plan", "--stack", "dev")
    assert missing.exit_code == 1
    assert "adopt id p00000000000 is not a user PAL of this account" in missing.stdout
    # The renamed PAL now matches nothing: listed, never guessed.
    assert f"? not declared 'Renamed' ({ids['story']})" in missing.stdout


def test_ambiguous_pal_name_lists_candidates_and_the_fix(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    twin = emulator.control.seed(
        pals=[{"pal_name": "Story", "system_prompt": "x", "default_face_id": ANNA}]
    )["pals"][0]
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 1
    assert "! ambiguous story ('Story')" in result.stdout
    assert twin in result.stdout
    assert "fix: set bindings.adopt_ids.story to the one to manage" in result.stdout
    assert "not declared" not in result.stdout.split("PALs:")[1].split("\n", 1)[1]


def test_attachments_detach_and_tool_updates(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    extra = client.create_tool({"name": "stray", "description": "not declared"})
    client.attach_tools(ids["story"], [extra["tool_id"]])
    tool_id = next(t["tool_id"] for t in client.iter_tools() if t["name"] == "log_mood")
    client.update_tool(tool_id, {"description": "Changed by hand."})
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 2
    assert "- detach tools: stray" in result.stdout
    assert "~ update tool log_mood" in result.stdout
    assert (
        '~ description: "Changed by hand." -> "Record the mood the user reports."' in result.stdout
    )
    # Tool secrets are never compared by value: the echoed mask is not a change.
    assert "token" not in result.stdout


def test_inline_tool_migration_is_reported(
    palfleet: Invoke, client: PalClient, stack_root: Path
) -> None:
    inline = (
        "    layers:\n      llm:\n        tools:\n          - type: function\n"
        "            function: {name: lookup, description: Look up a thing.}\n"
    )
    text = (stack_root / "dev" / "fleet.yaml").read_text()
    text = text.replace(
        "    palfleet:\n      tools: [log_mood]\n",
        "    palfleet:\n      tools: [log_mood]\n" + inline,
    )
    write_stack(stack_root, "dev", text)
    apply_fleet(client, resolved(stack_root))
    assert palfleet("plan", "--stack", "dev").exit_code == 0
    migrating = text.replace(
        "      tools: [log_mood]\n", "      tools: [log_mood]\n      migrate_inline_tools: true\n"
    )
    write_stack(stack_root, "dev", migrating)
    result = palfleet("plan", "--stack", "dev")
    assert result.exit_code == 2
    assert (
        "> migrate inline tool lookup (layers.llm.tools): create a registry tool" in result.stdout
    )

    # Once the migration has run (registry tool attached, inline entry removed), plan is clean:
    # what migrates comes from the declaration, not from the live PAL that no longer has it.
    pal_id = next(p["pal_id"] for p in client.iter_pals() if p["pal_name"] == "Coach")
    tool = client.create_tool(
        {"name": "lookup", "description": "Look up a thing.", "delivery": {"app_message": True}}
    )
    client.attach_tools(pal_id, [str(tool["tool_id"])])
    client.patch_pal(pal_id, [{"op": "remove", "path": "/layers/llm/tools"}])
    after = palfleet("plan", "--stack", "dev")
    assert after.exit_code == 0, after.stdout
    assert "detach" not in after.stdout
    assert palfleet("drift", "--stack", "dev").exit_code == 0


def test_output_is_deterministic(palfleet: Invoke, client: PalClient, stack_root: Path) -> None:
    ids = apply_fleet(client, resolved(stack_root))
    client.patch_pal(ids["coach"], [{"op": "add", "path": "/greeting", "value": "Hi"}])
    for fmt in ("text", "markdown", "json"):
        first = palfleet("plan", "--stack", "dev", "--format", fmt).stdout
        second = palfleet("plan", "--stack", "dev", "--format", fmt).stdout
        assert first == second and first


def test_requests_are_the_list_pages_alone(
    palfleet: Invoke, client: PalClient, stack_root: Path, emulator: Any
) -> None:
    apply_fleet(client, resolved(stack_root))
    emulator.control.seed(
        pals=[
            {"pal_name": f"Other {i}", "system_prompt": "x", "default_face_id": ANNA}
            for i in range(150)
        ]
    )
    emulator.control.clear_requests()
    assert palfleet("plan", "--stack", "dev", "--concurrency", "4").exit_code == 0
    counts = emulator.control.requests().by_template()
    assert counts["GET /v2/pals"] == 2  # 152 PALs: ceil(152/100)
    assert counts["GET /v2/tools"] == 1
    # Listed PALs carry tool_ids, and the tools listing names them: no per-PAL read.
    assert counts["GET /v2/pals/{id}/tools"] == 0
    assert counts["GET /v2/pals/{id}"] == 0
    assert sum(counts.values()) == 3


def test_errors_exit_1_with_a_clear_message(
    palfleet: Invoke, stack_root: Path, monkeypatch: Any
) -> None:
    write_stack(
        stack_root, "bad", "version: 1\nbindings:\n  api_base_url: nope\npals:\n  x: {modle: 1}\n"
    )
    bad = palfleet("plan", "--stack", "bad")
    assert bad.exit_code == 1
    assert "invalid" in bad.stderr and "pals.x.modle" in bad.stderr
    unreachable = palfleet("plan", "--stack", "dev", "--api-base-url", "http://127.0.0.1:9/v2")
    assert unreachable.exit_code == 1 and "reading the live account" in unreachable.stderr
    assert palfleet("plan", "--stack", "dev", "--concurrency", "33").exit_code == 1
    monkeypatch.setenv("TAVUS_API_KEY", "wrong-key-123456")
    denied = palfleet("plan", "--stack", "dev")
    assert denied.exit_code == 1 and "wrong-key-123456" not in denied.stderr + denied.stdout
    monkeypatch.delenv("TAVUS_API_KEY")
    missing = palfleet("plan", "--stack", "dev")
    assert missing.exit_code == 1 and "TAVUS_API_KEY" in missing.stderr


def _wait_for_abandoned_reads() -> None:
    for thread in threading.enumerate():
        if thread.name == READ_THREAD_NAME:
            thread.join(timeout=30)


def test_nothing_is_sent_before_the_declaration_and_the_url_pass(
    palfleet: Invoke, stack_root: Path, emulator: Any
) -> None:
    """An invalid declaration writes nothing and compares nothing (the account may be read
    while it is validated), and a base URL the key must not go to (plain http to a host that is
    not loopback) lets no request out; every command says why."""
    write_stack(
        stack_root, "bad", "version: 1\nbindings:\n  api_base_url: nope\npals:\n  x: {modle: 1}\n"
    )
    emulator.control.clear_requests()
    for mode in ("plan", "drift"):
        result = palfleet(mode, "--stack", "bad")
        assert result.exit_code == 1
        assert "modle" in result.stderr and "Plan" not in result.stdout
    # The reads that started while the declaration was validated may still be in flight (the
    # command does not wait for them): only reads, and they end before the count below.
    _wait_for_abandoned_reads()
    assert {e.method for e in emulator.control.requests().entries} <= {"GET"}
    emulator.control.clear_requests()
    remote = "http://tavus.example.com/v2"
    commands: list[tuple[str, ...]] = [("plan",), ("drift",), ("export",), ("tools", "audit")]
    for command in commands:
        result = palfleet(*command, "--stack", "dev", "--api-base-url", remote)
        assert result.exit_code == 1, (command, result.stdout)
        assert "refusing to send the Tavus API key over plain http" in result.stderr, command
    assert emulator.control.requests().count() == 0


def test_an_invalid_declaration_is_reported_at_once_even_against_a_silent_host(
    palfleet: Invoke, stack_root: Path
) -> None:
    """The account is read while the declaration is validated; when it is invalid, the reads
    are abandoned, not waited for (a host that never answers would hold the command up to the
    HTTP deadline)."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        write_stack(stack_root, "slow", "version: 1\nbindings: {}\npals:\n  x: {modle: 1}\n")
        started = time.monotonic()
        result = palfleet(
            "plan", "--stack", "slow", "--api-base-url", f"http://127.0.0.1:{port}/v2"
        )
        assert result.exit_code == 1 and "pals.x.modle" in result.stderr
        assert time.monotonic() - started < 3, "the command did not wait for the silent host"
    finally:
        silent.close()
