"""Offline rules of guardrails and objective sets (record_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pal_provider.declaration import load_stack

HEADER = """\
bindings:
  api_base_url: https://tavusapi.com/v2
  faces: {anna: rf4703150052}
pals:
  nurse:
    face: anna
    system_prompt: p
"""


def _errors(tmp_path: Path, body: str) -> list[tuple[str, str]]:
    (tmp_path / "s").mkdir()
    (tmp_path / "Pulumi.s.yaml").write_text("config: {}\n")
    (tmp_path / "s" / "fleet.yaml").write_text(HEADER + body)
    return [(f.path, f.message) for f in load_stack("s", tmp_path).errors]


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        (
            "guardrails:\n  a: {guardrail_prompt: ''}\n",
            "guardrails.a.guardrail_prompt",
            "empty",
        ),
        (
            "guardrails:\n  a: {guardrail_prompt: p, guardrail_name: " + "x" * 101 + "}\n",
            "guardrails.a.guardrail_name",
            "above 100",
        ),
        (
            "guardrails:\n  a: {guardrail_prompt: p, tags: [" + ",".join(["t"] * 33) + "]}\n",
            "guardrails.a.tags",
            "33 tags",
        ),
        (
            "guardrails:\n  a: {guardrail_prompt: p, modality: smell}\n",
            "guardrails.a.modality",
            "",
        ),
        (
            "guardrails:\n  a: {guardrail_prompt: p}\n  b: {guardrail_prompt: q, guardrail_name: a}\n",
            "guardrails.b.guardrail_name",
            "also the name of guardrails.a",
        ),
        (
            "objectives:\n  o:\n    data: []\n",
            "objectives.o.data",
            "0 objectives",
        ),
        (
            "objectives:\n  o:\n    data:\n      - {objective_name: 'bad name', objective_prompt: p}\n",
            "objectives.o.data[0].objective_name",
            "not allowed",
        ),
        (
            "objectives:\n  o:\n    data:\n      - {objective_name: a, objective_prompt: p}\n"
            "      - {objective_name: a, objective_prompt: q}\n",
            "objectives.o.data[1].objective_name",
            "declared twice",
        ),
        (
            "objectives:\n  o:\n    data:\n"
            "      - {objective_name: a, objective_prompt: p, next_required_objective: z}\n",
            "objectives.o.data[0].next_required_objective",
            "'z' is not in the set",
        ),
        (
            "objectives:\n  o:\n    data:\n"
            "      - {objective_name: a, objective_prompt: p, next_required_objective: a}\n",
            "objectives.o.data[0].next_required_objective",
            "cannot require itself",
        ),
        (
            "objectives:\n  o:\n    data:\n"
            "      - {objective_name: a, objective_prompt: p, next_required_objective: b}\n"
            "      - {objective_name: b, objective_prompt: q, next_conditional_objectives: {a: again}}\n",
            "objectives.o.data",
            "cycle (a -> b -> a)",
        ),
        (
            "    palfleet: {guardrails: [nope]}\n",
            "pals.nurse.palfleet.guardrails[0]",
            "not declared",
        ),
        (
            "    palfleet: {objectives: nope}\n",
            "pals.nurse.palfleet.objectives",
            "not declared",
        ),
        (
            "    palfleet: {documents: [faq]}\n",
            "pals.nurse.palfleet.documents[0]",
            "not bound",
        ),
    ],
)
def test_record_rules_name_the_field(tmp_path: Path, body: str, path: str, fragment: str) -> None:
    errors = _errors(tmp_path, body)
    assert any(p == path and fragment in m for p, m in errors), errors


def test_loops_pass_when_allowed(tmp_path: Path) -> None:
    body = (
        "objectives:\n  o:\n    allow_loops: true\n    data:\n"
        "      - {objective_name: a, objective_prompt: p, next_required_objective: b}\n"
        "      - {objective_name: b, objective_prompt: q, next_conditional_objectives: {a: again}}\n"
    )
    assert _errors(tmp_path, body) == []
