"""palfleet.llm_endpoint names a custom LLM binding; layers.llm.endpoint is the API's own
field, read as a binding only in its old meaning (a binding's name), with a warning."""

from __future__ import annotations

from pathlib import Path

from pal_provider.declaration import load_stack, resolve_fleet

FLEET = """\
version: 1
bindings:
  api_base_url: https://tavusapi.com/v2
  faces: {{anna: rf4703150052}}
  llm_endpoints:
    story-llm:
      base_url: https://llm.example.com/v1
      api_key: {{secret: palfleet:storyLlmApiKey}}
      default_query: {{api-version: "2024-10-21"}}
pals:
  story:
    pal_name: Story
    face: anna
    system_prompt: Tell short stories.
    layers:
      llm:
        model: gpt-4o
{llm}{palfleet}"""


def load(tmp_path: Path, *, llm: str = "", palfleet: str = "") -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    (tmp_path / "dev").mkdir(exist_ok=True)
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "dev" / "fleet.yaml").write_text(FLEET.format(llm=llm, palfleet=palfleet))
    result = load_stack("dev", tmp_path)
    assert result.fleet is not None and result.ok, [f.render() for f in result.errors]
    body = resolve_fleet(result.fleet, "dev").pals["story"].body
    return body["layers"]["llm"], [f.render() for f in result.warnings]


def test_the_binding_is_named_under_palfleet(tmp_path: Path) -> None:
    llm, warnings = load(tmp_path, palfleet="    palfleet:\n      llm_endpoint: story-llm\n")
    assert llm["base_url"] == "https://llm.example.com/v1"
    assert llm["api_key"] == {"$secret": "palfleet:storyLlmApiKey"}
    assert llm["default_query"] == {"api-version": "2024-10-21"}
    assert "endpoint" not in llm and warnings == []


def test_the_old_spelling_still_binds_with_a_warning_and_the_fix(tmp_path: Path) -> None:
    llm, warnings = load(tmp_path, llm="        endpoint: story-llm\n")
    assert llm["base_url"] == "https://llm.example.com/v1" and "endpoint" not in llm
    [warning] = warnings
    assert "layers.llm.endpoint" in warning and "palfleet: {llm_endpoint: story-llm}" in warning


def test_the_api_field_is_sent_as_written(tmp_path: Path) -> None:
    llm, warnings = load(
        tmp_path,
        llm="        endpoint: primary\n        base_url: https://llm.example.com/v1\n        api_key: {secret: palfleet:k}\n",
    )
    assert llm["endpoint"] == "primary"
    assert not any("the old way" in w or "did you mean" in w for w in warnings)
    close, warnings = load(
        tmp_path,
        llm="        endpoint: story-lm\n        base_url: https://llm.example.com/v1\n        api_key: {secret: palfleet:k}\n",
    )
    assert close["endpoint"] == "story-lm"
    assert any("did you mean 'story-llm'" in w and "llm_endpoint" in w for w in warnings)
