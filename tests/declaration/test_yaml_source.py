from __future__ import annotations

from pal_provider.declaration.yaml_source import read_yaml

TEXT = """\
bindings:
  api_base_url: https://x
pals:
  coach:
    memories:
      - one
      - two
    memories: [three]
"""


def test_lines_are_indexed_per_path() -> None:
    source = read_yaml(TEXT)
    assert source.problem is None
    assert source.locate(("bindings", "api_base_url")) == 2
    assert source.locate(("pals", "coach", "memories", 1)) == 7
    assert source.locate(("pals", "coach", "nothing", "here")) == 4, "nearest ancestor"
    assert source.locate(()) is None


def test_duplicates_are_reported_and_the_first_value_is_kept() -> None:
    source = read_yaml(TEXT)
    [dup] = source.duplicates
    assert (dup.path, dup.line, dup.first_line) == (("pals", "coach", "memories"), 8, 5)
    assert source.data["pals"]["coach"]["memories"] == ["one", "two"]


def test_syntax_errors_become_problems() -> None:
    source = read_yaml("a: [1, 2\nb: 3\n")
    assert source.problem is not None and source.problem.line is not None
    assert source.problem.message.startswith("malformed YAML")


def test_yaml_1_2_keeps_off_as_a_string() -> None:
    assert read_yaml("perception_model: off\n").data == {"perception_model": "off"}
