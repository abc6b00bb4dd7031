"""Semantic rules that the corpus does not cover well (sizes, counts, warnings) and
`validate_pal_body`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pal_provider.declaration import Finding, FleetDeclaration, validate_fleet, validate_pal_body


def _fleet(pal: dict[str, Any], tools: dict[str, Any] | None = None) -> FleetDeclaration:
    base = {"face": "coach", "system_prompt": "Be kind."}
    return FleetDeclaration.model_validate(
        {
            "bindings": {
                "api_base_url": "https://tavusapi.com/v2",
                "faces": {"coach": "r1c0ac4e5a01"},
            },
            "pals": {"coach": {**base, **pal}},
            "tools": tools or {},
        }
    )


def _at(findings: list[Finding], path: str) -> list[Finding]:
    return [f for f in findings if f.path == path]


def test_a_clean_pal_has_no_findings() -> None:
    assert validate_fleet(_fleet({}), "dev") == []


@pytest.mark.parametrize(
    ("chars", "severity", "fragment"),
    [
        (19_000, None, None),
        (21_000, "warning", "advised 5,000"),
        (61_000, "warning", "degrade"),
        (130_000, "error", "32,000 token ceiling"),
    ],
)
def test_prompt_budget(chars: int, severity: str | None, fragment: str | None) -> None:
    fleet = _fleet({"system_prompt": "x" * chars, "layers": {"llm": {"model": "tavus-gpt-oss"}}})
    found = _at(validate_fleet(fleet, "dev"), "pals.coach.system_prompt")
    if severity is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].severity == severity
        assert fragment is not None and fragment in found[0].message


def test_prompt_budget_counts_context_and_uses_the_default_model_ceiling() -> None:
    # 200,000 tokens is the default model's ceiling: 800,004 chars is just above it.
    fleet = _fleet({"system_prompt": "x" * 400_000, "context": "y" * 400_004})
    found = _at(validate_fleet(fleet, "dev"), "pals.coach.system_prompt")
    assert [f.severity for f in found] == ["error"]
    assert "200,000" in found[0].message


def test_custom_llm_has_no_ceiling_but_still_warns() -> None:
    fleet = _fleet(
        {
            "system_prompt": "x" * 200_000,
            "layers": {
                "llm": {
                    "model": "m",
                    "base_url": "http://127.0.0.1:9000/v1",
                    "api_key": {"secret": "k"},
                }
            },
        }
    )
    found = _at(validate_fleet(fleet, "dev"), "pals.coach.system_prompt")
    assert [f.severity for f in found] == ["warning"]


def test_deprecated_model_warns_with_replacement() -> None:
    found = validate_fleet(_fleet({"layers": {"llm": {"model": "tavus-gpt-4o"}}}), "dev")
    assert [(f.severity, f.path) for f in found] == [("warning", "pals.coach.layers.llm.model")]
    assert "tavus-glm-4.7" in found[0].fix


def test_custom_llm_accepts_any_model_name_and_loopback_http() -> None:
    llm = {"model": "my-llama", "base_url": "http://localhost:8000/v1", "api_key": {"secret": "k"}}
    found = validate_fleet(_fleet({"layers": {"llm": llm}}), "dev")
    assert [f.severity for f in found] == ["warning"], "only the promotion hint"


def _inline(n: int) -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": f"t{i}", "description": "d"}} for i in range(n)
    ]


def test_at_most_fifty_tools_inline_plus_attached() -> None:
    tools = {f"r{i}": {"description": "d"} for i in range(2)}
    ok = _fleet(
        {"layers": {"llm": {"tools": _inline(48)}}, "palfleet": {"tools": ["r0", "r1"]}}, tools
    )
    assert not [f for f in validate_fleet(ok, "dev") if f.severity == "error"]
    too_many = _fleet(
        {"layers": {"llm": {"tools": _inline(49)}}, "palfleet": {"tools": ["r0", "r1"]}}, tools
    )
    errors = [f for f in validate_fleet(too_many, "dev") if f.severity == "error"]
    assert [f.path for f in errors] == ["pals.coach.palfleet.tools"]
    assert "51 tools" in errors[0].message


def test_tool_definition_size_limit() -> None:
    params = {"type": "object", "properties": {"q": {"type": "string"}}}
    fits = 10_000 - len('{"type": "object", "properties": {"q": {"type": "string"}}}')
    ok = _fleet({}, {"search": {"description": "d" * fits, "parameters": params}})
    assert validate_fleet(ok, "dev") == []
    big = _fleet({}, {"search": {"description": "d" * (fits + 1), "parameters": params}})
    found = validate_fleet(big, "dev")
    assert [f.path for f in found] == ["tools.search.description"]
    assert "10,000" in found[0].message


def test_inline_tools_warn_unless_migrating() -> None:
    warned = validate_fleet(_fleet({"layers": {"llm": {"tools": _inline(2)}}}), "dev")
    assert [(f.severity, f.path) for f in warned] == [("warning", "pals.coach.layers.llm.tools")]
    assert "migrate_inline_tools: true" in warned[0].fix
    migrating = _fleet(
        {"layers": {"llm": {"tools": _inline(2)}}, "palfleet": {"migrate_inline_tools": True}}
    )
    assert validate_fleet(migrating, "dev") == []


def test_raven_0_is_legacy() -> None:
    found = validate_fleet(
        _fleet({"layers": {"perception": {"perception_model": "raven-0"}}}), "dev"
    )
    assert [(f.severity, f.path) for f in found] == [
        ("warning", "pals.coach.layers.perception.perception_model")
    ]


def test_duplicate_conferencing_usernames_in_a_stack() -> None:
    fleet = FleetDeclaration.model_validate(
        {
            "bindings": {
                "api_base_url": "https://tavusapi.com/v2",
                "faces": {"fc": "r1c0ac4e5a01"},
            },
            "pals": {
                name: {
                    "face": "fc",
                    "system_prompt": "s",
                    "pal_name": name,
                    "layers": {"conferencing": {"username": user}},
                }
                for name, user in (("one", "Coach.Bot"), ("two", "coach.bot"))
            },
        }
    )
    found = validate_fleet(fleet, "dev")
    assert [f.path for f in found] == ["pals.two.layers.conferencing.username"]


def test_adopt_ids_must_name_declared_pals() -> None:
    fleet = _fleet({})
    fleet.bindings.adopt_ids["ghost"] = "p0123456789a"
    found = validate_fleet(fleet, "dev")
    assert [f.path for f in found] == ["bindings.adopt_ids.ghost"]


# --- validate_pal_body ----------------------------------------------------------------------


def test_pal_body_with_markers_or_substituted_secrets_is_valid() -> None:
    body: dict[str, Any] = {
        "pal_name": "S",
        "system_prompt": "Tell stories.",
        "default_face_id": "r1c0ac4e5a01",
        "layers": {
            "llm": {
                "model": "gpt-4o",
                "base_url": "https://x.example.com/v1",
                "api_key": {"$secret": "palfleet:k"},
            }
        },
    }
    assert validate_pal_body(body) == []
    body["layers"]["llm"]["api_key"] = "sk-substituted-value"
    assert validate_pal_body(body) == []


def test_pal_body_findings_are_relative_to_the_pal() -> None:
    body = {
        "pal_name": "S",
        "pipeline_mode": "echo",
        "system_prompt": "no",
        "layers": {
            "llm": {"model": "tavus-llama", "extra_body": {"seed": 1}},
            "tts": {"tts_engine": "x"},
        },
    }
    found = validate_pal_body(body)
    assert {f.path for f in found} == {"layers.tts.tts_engine"}, "structure first"
    del body["layers"]["tts"]  # type: ignore[attr-defined]
    found = validate_pal_body(body)
    assert {f.path for f in found} == {
        "system_prompt",
        "layers.llm.model",
        "layers.llm.extra_body.seed",
    }
    assert all(f.stack is None and f.pal is None for f in found)


def test_pal_body_rejects_declaration_only_keys() -> None:
    body = {"face": "coach", "system_prompt": "s", "palfleet": {"tools": []}}
    paths = {f.path for f in validate_pal_body(body)}
    assert {"face", "palfleet"} <= paths


def test_pal_body_must_be_a_mapping() -> None:
    found = validate_pal_body([])  # type: ignore[arg-type]
    assert found[0].severity == "error"


def test_every_finding_of_a_file_in_one_run(tmp_path: Path) -> None:
    """A shape error in one PAL does not hide the other PALs' mistakes."""
    from pal_provider.declaration import load_stack

    (tmp_path / "s").mkdir()
    (tmp_path / "Pulumi.s.yaml").write_text("config: {}\n")
    (tmp_path / "s" / "fleet.yaml").write_text(
        "version: 1\n"
        "bindings: {api_base_url: 'https://tavusapi.com/v2', faces: {coach: r1c0ac4e5a01}}\n"
        "pals:\n"
        "  alpha: {pal_name: A, face: coach, system_prompt: hi, layers: {llm: {model: tavus-llama}}}\n"
        "  beta: {pal_name: B, face: coach, system_prompt: hi, greting: typo}\n"
        "  gamma: {pal_name: C, face: nope, system_prompt: hi}\n"
    )
    paths = sorted(f.path for f in load_stack("s", tmp_path).errors)
    assert paths == ["pals.alpha.layers.llm.model", "pals.beta.greting", "pals.gamma.face"]


def _write(tmp_path: Path, fleet: str, config: str = "config: {}\n") -> None:
    (tmp_path / "s").mkdir(exist_ok=True)
    (tmp_path / "s" / "fleet.yaml").write_text(fleet)
    (tmp_path / "Pulumi.s.yaml").write_text(config)


STORY_FLEET = (
    "version: 1\n"
    "bindings:\n"
    "  api_base_url: https://tavusapi.com/v2\n"
    "  faces: {coach: r1c0ac4e5a01}\n"
    "  llm_endpoints:\n"
    "    story: {base_url: 'https://llm.example.com/v1', api_key: {secret: palfleet:storyKey}}\n"
    "pals:\n"
    "  coach: {face: coach, system_prompt: Be kind., layers: {llm: {endpoint: story, model: m}}}\n"
)


def test_a_secret_set_in_plain_text_in_the_stack_config_is_an_error(tmp_path: Path) -> None:
    from pal_provider.declaration import load_stack

    _write(tmp_path, STORY_FLEET, "config:\n  palfleet:storyKey: sk-plain-DO-NOT-PRINT\n")
    [finding] = load_stack("s", tmp_path).errors
    assert finding.file is not None and finding.file.endswith("Pulumi.s.yaml")
    assert finding.line == 2 and "plain text" in finding.message
    assert "pulumi config set --secret palfleet:storyKey" in (finding.fix or "")
    assert "DO-NOT-PRINT" not in finding.render()

    _write(tmp_path, STORY_FLEET, "config:\n  palfleet:storyKey:\n    secure: AAABAxyz\n")
    assert load_stack("s", tmp_path).errors == []


def test_per_account_ids_in_intent_and_hosted_models_on_custom_endpoints_are_warned(
    tmp_path: Path,
) -> None:
    from pal_provider.declaration import load_stack

    fleet = (
        "version: 1\n"
        "bindings: {api_base_url: 'https://tavusapi.com/v2', faces: {coach: r1c0ac4e5a01},\n"
        "  llm_endpoints: {story: {base_url: 'https://llm.example.com/v1',\n"
        "    api_key: {secret: palfleet:storyKey}}}}\n"
        "defaults: {layers: {llm: {model: tavus-glm-4.7}}}\n"
        "pals:\n"
        "  alpha: {default_face_id: r1c0ac4e5a01, system_prompt: hi,\n"
        "    objectives_id: o123, guardrail_ids: [g1], document_ids: [d1]}\n"
        "  beta: {face: coach, system_prompt: hi, layers: {llm: {endpoint: story}}}\n"
    )
    _write(tmp_path, fleet)
    result = load_stack("s", tmp_path)
    assert result.errors == []
    warned = {(w.pal, w.path.rsplit(".", 1)[-1]) for w in result.warnings}
    assert {
        ("alpha", "default_face_id"),
        ("alpha", "objectives_id"),
        ("alpha", "guardrail_ids"),
        ("alpha", "document_ids"),
    } <= warned
    # beta inherits the hosted model from defaults: reported there, once, naming beta.
    [inherited] = [w for w in result.warnings if w.path == "defaults.layers.llm.model"]
    assert "inherited by 1 PAL(s): beta" in inherited.message and inherited.line == 5


def test_an_inherited_system_prompt_on_an_echo_pal_says_how_to_drop_it(tmp_path: Path) -> None:
    from pal_provider.declaration import load_stack

    _write(
        tmp_path,
        "version: 1\nbindings: {api_base_url: 'https://tavusapi.com/v2', faces: {cc: r1c0ac4e5a01}}\n"
        "defaults: {system_prompt: Be kind.}\n"
        "pals:\n  echo-pal: {face: cc, pipeline_mode: echo}\n",
    )
    [finding] = load_stack("s", tmp_path).errors
    assert "system_prompt: null" in (finding.fix or "")


def test_a_problem_inherited_from_defaults_is_reported_once_at_defaults(tmp_path: Path) -> None:
    from pal_provider.declaration import load_stack

    _write(
        tmp_path,
        "version: 1\nbindings: {api_base_url: 'https://tavusapi.com/v2', faces: {cc: r1c0ac4e5a01}}\n"
        "defaults:\n  layers:\n    llm: {model: tavus-llama}\n"
        "pals:\n"
        "  alpha: {face: cc, system_prompt: hi}\n"
        "  beta: {face: cc, system_prompt: hi}\n"
        "  gamma: {face: cc, system_prompt: hi, layers: {llm: {model: tavus-llama}}}\n",
    )
    errors = load_stack("s", tmp_path).errors
    assert sorted((e.path, e.line) for e in errors) == [
        ("defaults.layers.llm.model", 5),
        ("pals.gamma.layers.llm.model", 9),
    ]
    [inherited] = [e for e in errors if e.path.startswith("defaults")]
    assert "inherited by 2 PAL(s): alpha, beta" in inherited.message
