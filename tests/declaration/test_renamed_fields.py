"""Older API field names are read with a warning naming the new one (renamed_fields.py)."""

from __future__ import annotations

from pathlib import Path

from pal_provider.declaration import load_stack

HEADER = """\
bindings:
  api_base_url: https://tavusapi.com/v2
  faces: {anna: rf4703150052}
"""


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    (tmp_path / "s").mkdir()
    (tmp_path / "Pulumi.s.yaml").write_text("config: {}\n")
    (tmp_path / "s" / "fleet.yaml").write_text(HEADER + body)
    return load_stack("s", tmp_path)


def test_both_older_names_warn_and_become_face_interruptibility(tmp_path: Path) -> None:
    result = _load(
        tmp_path,
        """\
defaults:
  layers:
    conversational_flow: {replica_interruptibility: low}
pals:
  aa:
    face: anna
    system_prompt: p
    layers:
      conversational_flow:
        pal_interruptibility: high
  bb:
    face: anna
    system_prompt: p
""",
    )
    assert result.ok, [f.render() for f in result.findings]
    warned = {(f.path, f.line) for f in result.warnings}
    assert ("defaults.layers.conversational_flow.replica_interruptibility", 6) in warned
    assert ("pals.aa.layers.conversational_flow.pal_interruptibility", 13) in warned
    assert all("face_interruptibility" in f.fix for f in result.warnings)
    resolved = result.resolved_fleet()
    assert resolved.pals["aa"].body["layers"]["conversational_flow"] == {
        "face_interruptibility": "high"
    }
    assert resolved.pals["bb"].body["layers"]["conversational_flow"] == {
        "face_interruptibility": "low"
    }


def test_two_names_with_different_values_are_an_error(tmp_path: Path) -> None:
    result = _load(
        tmp_path,
        """\
pals:
  aa:
    face: anna
    system_prompt: p
    layers:
      conversational_flow: {face_interruptibility: low, pal_interruptibility: high}
""",
    )
    assert not result.ok
    (error,) = result.errors
    assert error.path == "pals.aa.layers.conversational_flow.pal_interruptibility"
    assert error.fix == "keep only face_interruptibility" and error.line == 9


def test_the_same_value_under_both_names_is_only_a_warning(tmp_path: Path) -> None:
    result = _load(
        tmp_path,
        """\
pals:
  aa:
    face: anna
    system_prompt: p
    layers:
      conversational_flow: {face_interruptibility: low, pal_interruptibility: low}
""",
    )
    assert result.ok and len(result.warnings) == 1
