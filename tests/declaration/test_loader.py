from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pal_provider.declaration import discover_stacks, load_stack

from .conftest import MINIMAL_FLEET


def test_minimal_fleet_loads(write_stack: Callable[[str, str], Path]) -> None:
    root = write_stack("dev", MINIMAL_FLEET)
    result = load_stack("dev", root)
    assert result.ok and result.findings == []
    assert result.fleet is not None and list(result.fleet.pals) == ["coach"]


def test_missing_file_is_a_finding(tmp_path: Path) -> None:
    result = load_stack("qa", tmp_path)
    assert not result.ok and result.fleet is None
    [finding] = result.findings
    assert "no fleet declaration" in finding.message and "qa" in finding.fix


def test_bad_stack_name_is_a_finding(tmp_path: Path) -> None:
    result = load_stack("../etc", tmp_path)
    assert [f.severity for f in result.findings] == ["error"]
    assert "stack name" in result.findings[0].message


def test_missing_pulumi_stack_config_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "fleet.yaml").write_text(MINIMAL_FLEET)
    result = load_stack("dev", tmp_path)
    assert result.ok
    assert [f.severity for f in result.findings] == ["warning"]
    assert "Pulumi.dev.yaml" in result.findings[0].fix


def test_broken_pulumi_stack_config_is_an_error(write_stack: Callable[[str, str], Path]) -> None:
    root = write_stack("dev", MINIMAL_FLEET)
    (root / "Pulumi.dev.yaml").write_text("config: [1, 2]\n")
    result = load_stack("dev", root)
    assert [f.path for f in result.errors] == ["config"]


def test_findings_carry_file_and_line(write_stack: Callable[[str, str], Path]) -> None:
    root = write_stack(
        "dev", MINIMAL_FLEET.replace("system_prompt: Be kind", "system_prmpt: Be kind")
    )
    result = load_stack("dev", root)
    [finding] = result.errors
    assert finding.path == "pals.coach.system_prmpt"
    assert finding.line == 8
    assert finding.file is not None and finding.file.endswith("dev/fleet.yaml")
    assert "fleet.yaml:8" in finding.render()


def test_semantic_findings_get_lines_too(write_stack: Callable[[str, str], Path]) -> None:
    root = write_stack("dev", MINIMAL_FLEET + "    pipeline_mode: echo\n")
    result = load_stack("dev", root)
    [finding] = result.errors
    assert (finding.path, finding.line) == ("pals.coach.system_prompt", 8)
    assert result.fleet is not None, "a structurally valid fleet is kept for callers"


def test_every_duplicate_key_is_reported(write_stack: Callable[[str, str], Path]) -> None:
    text = (
        MINIMAL_FLEET.replace("    face: coach\n", "    face: coach\n    face: coach\n")
        + "  coach:\n    face: coach\n"
    )
    result = load_stack("dev", write_stack("dev", text))
    assert sorted(f.path for f in result.errors) == ["pals.coach", "pals.coach.face"]


def test_non_utf8_file_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "fleet.yaml").write_bytes(b"\xff\xfe\x00bindings")
    result = load_stack("dev", tmp_path)
    assert not result.ok and result.errors


def test_discover_stacks(tmp_path: Path, write_stack: Callable[[str, str], Path]) -> None:
    root = write_stack("dev", MINIMAL_FLEET)
    (root / "Pulumi.qa.yaml").write_text("config: {}\n")
    assert discover_stacks(root) == ["dev", "qa"]
    assert discover_stacks(tmp_path / "nowhere") == []


MIGRATION_CLASH = """
version: 1
bindings: {api_base_url: "https://tavusapi.com/v2", faces: {coach: r1c0ac4e5a01}}
defaults:
  palfleet: {migrate_inline_tools: true}
pals:
  first:
    pal_name: First
    face: coach
    system_prompt: hi
    layers:
      llm:
        tools:
          - {type: function, function: {name: lookup, description: Look up a product.}}
  second:
    pal_name: Second
    face: coach
    system_prompt: hi
    layers:
      llm:
        tools:
          - {type: function, function: {name: lookup, description: Look up a customer.}}
"""


def test_migration_clashes_are_reported_by_load_stack(
    write_stack: Callable[[str, str], Path],
) -> None:
    root = write_stack("dev", MIGRATION_CLASH)
    result = load_stack("dev", root)
    assert not result.ok
    [clash] = [f for f in result.errors if "lookup" in f.message]
    assert clash.pal == "second"
    assert clash.path == "pals.second.layers.llm.tools[0].function.name"
    assert clash.line is not None


def test_a_migrating_tool_also_attached_by_name_counts_once_towards_the_cap(
    write_stack: Callable[[str, str], Path],
) -> None:
    inline = "\n".join(
        f"          - {{type: function, function: {{name: t{i}, description: Tool {i}.}}}}"
        for i in range(40)
    )
    declared = "\n".join(f"  t{i}: {{description: Tool {i}.}}" for i in range(20))
    attached = ", ".join(f"t{i}" for i in range(20))
    text = f"""
version: 1
bindings: {{api_base_url: "https://tavusapi.com/v2", faces: {{coach: r1c0ac4e5a01}}}}
pals:
  busy:
    pal_name: Busy
    face: coach
    system_prompt: hi
    palfleet: {{migrate_inline_tools: true, tools: [{attached}]}}
    layers:
      llm:
        tools:
{inline}
tools:
{declared}
"""
    result = load_stack("dev", write_stack("dev", text))
    assert not [f for f in result.errors if "above the limit" in f.message], [
        f.render() for f in result.errors
    ]


def _stack(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "fleet.yaml").write_text(
        "version: 1\nbindings: {api_base_url: 'https://tavusapi.com/v2'}\npals: {}\n"
    )


@pytest.mark.parametrize("kind", ["directory", "not-utf8", "unreadable"])
def test_a_broken_stack_config_file_is_a_finding_and_the_other_stacks_are_validated(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pal_provider.cli import app

    _stack(tmp_path, "bad")
    _stack(tmp_path, "good")
    (tmp_path / "Pulumi.good.yaml").write_text("config: {}\n")
    config = tmp_path / "Pulumi.bad.yaml"
    if kind == "directory":
        config.mkdir()
    elif kind == "not-utf8":
        config.write_bytes(b"config:\n  palfleet:x: \xff\xfe\n")
    else:
        config.write_text("config: {}\n")
        read_text = Path.read_text

        def refuse(self: Path, *args: object, **kwargs: object) -> str:
            if self.name == "Pulumi.bad.yaml":  # as chmod 0 would, also when run as root
                raise PermissionError(13, "Permission denied", str(self))
            return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "read_text", refuse)

    result = CliRunner().invoke(app, ["validate", "--all", "--root", str(tmp_path)])

    output = result.stdout + result.stderr
    assert result.exit_code == 1 and "Traceback" not in output
    assert "Pulumi.bad.yaml" in output and "cannot read the Pulumi stack config" in output
    assert "Error" not in output.replace("ERROR", "")
    assert "good" in output
