from __future__ import annotations

import pytest
from pydantic import ValidationError

from pal_provider.declaration.findings import Finding, Report, extend_path, join_path
from pal_provider.declaration.yaml_source import split_path


def test_join_and_split_paths_round_trip() -> None:
    parts = ("pals", "coach", "layers", "llm", "tools", 0, "function", "name")
    text = join_path(parts)
    assert text == "pals.coach.layers.llm.tools[0].function.name"
    assert split_path(text) == parts
    assert extend_path("pals.coach", "tools", 3) == "pals.coach.tools[3]"
    assert extend_path("", "a") == "a" and extend_path("a") == "a"


def test_render_names_stack_pal_path_problem_and_fix() -> None:
    finding = Finding(
        stack="prod",
        pal="coach",
        path="pals.coach.face",
        severity="error",
        message="face 'x' is not bound",
        fix="did you mean 'coach'?",
        file="stacks/prod/fleet.yaml",
        line=12,
    )
    assert finding.render() == (
        "ERROR stacks/prod/fleet.yaml:12 [pal coach] pals.coach.face: "
        "face 'x' is not bound -- fix: did you mean 'coach'?"
    )
    bare = Finding(stack="dev", pal=None, path="", severity="warning", message="m", fix="")
    assert bare.render() == "WARNING stack dev (file): m"


def test_findings_are_frozen() -> None:
    finding = Finding(stack=None, pal=None, path="p", severity="error", message="m", fix="f")
    with pytest.raises(ValidationError):
        finding.path = "q"  # type: ignore[misc]


def test_report_children_share_one_list() -> None:
    report = Report("dev")
    report.child("pals", "coach", pal="coach").error(["face"], "m", "f")
    report.child("tools", "t").warning([], "w", "f")
    assert [(f.path, f.pal, f.severity) for f in report.findings] == [
        ("pals.coach.face", "coach", "error"),
        ("tools.t", None, "warning"),
    ]
