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


def test_merge_keys_with_overrides_are_valid() -> None:
    source = read_yaml(
        "pals:\n"
        "  storyteller: &story\n"
        "    pal_name: Storyteller\n"
        "    greeting: Hello\n"
        "  storyteller-fr:\n"
        "    <<: *story\n"
        "    pal_name: Conteur\n"
    )
    assert source.problem is None and source.duplicates == []
    assert source.data["pals"]["storyteller-fr"] == {"pal_name": "Conteur", "greeting": "Hello"}
    assert source.locate(("pals", "storyteller-fr", "pal_name")) == 7
    assert source.locate(("pals", "storyteller-fr", "greeting")) == 4


def test_a_key_written_twice_next_to_a_merge_is_still_a_duplicate() -> None:
    source = read_yaml("a: &x {k: 1}\nb:\n  <<: *x\n  k: 2\n  k: 3\n")
    assert [(d.path, d.line) for d in source.duplicates] == [(("b", "k"), 5)]


def test_an_alias_bomb_is_refused_fast_and_small() -> None:
    import time
    import tracemalloc

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 1200

    tracemalloc.start()
    started = time.monotonic()
    source = read_yaml(text)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert source.problem is not None and "expand to more than" in source.problem.message
    assert source.problem.line is not None
    assert elapsed < 1.0 and peak < 200_000_000


def test_a_nul_byte_is_a_problem_with_its_line() -> None:
    source = read_yaml("version: 1\npals:\n  a: {pal_name: 'x\x00y'}\n")
    assert source.problem is not None and source.problem.line == 3
    assert "control character" in source.problem.message


def test_deep_nesting_is_a_problem_with_its_line() -> None:
    text = "pals:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(800)) + "  " * 801 + "v\n"
    source = read_yaml(text)
    assert source.problem is not None and "nested more than" in source.problem.message
    assert source.problem.line is not None
    flow = read_yaml("a: " + "[" * 800 + "]" * 800 + "\n")
    assert flow.problem is not None and "nested more than" in flow.problem.message
