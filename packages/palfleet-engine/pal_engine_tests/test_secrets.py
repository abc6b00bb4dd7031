"""Output secretness rules (Pulumi's annotateSecrets) and redaction."""

from __future__ import annotations

from pal_engine.secrets import Redactor, mirror_secrets, output_secrets


def test_output_mirroring_a_secret_input_key_is_secret() -> None:
    inputs = {"password": "p", "title": "t", "layers": {"llm": {"api_key": "k", "model": "m"}}}
    outputs = {"password": "p", "title": "t", "layers": {"llm": {"api_key": "k", "model": "m"}}}

    marked = mirror_secrets(outputs, inputs, {("password",), ("layers", "llm", "api_key")})

    assert marked == {("password",), ("layers", "llm", "api_key")}


def test_a_secret_object_input_marks_the_whole_output_value() -> None:
    marked = mirror_secrets({"auth": {"a": 1, "b": 2}}, {"auth": {"a": 1}}, {("auth",)})

    assert marked == {("auth",)}


def test_a_secret_inside_a_list_marks_the_whole_output_list() -> None:
    marked = mirror_secrets({"tags": ["x", "y"]}, {"tags": ["x", "s"]}, {("tags", 1)})

    assert marked == {("tags",)}


def test_additional_secret_outputs_and_absent_keys() -> None:
    marked = output_secrets(
        {"token": "t", "id": "1"}, {"password": "p"}, {("password",)}, ["token", "missing"]
    )

    assert marked == {("token",)}


def test_redactor_replaces_longest_secrets_first_and_ignores_tiny_values() -> None:
    redact = Redactor(["abcdef", "abcdefghij", "", "ab"])

    assert redact("key=abcdefghij other=abcdef ab") == "key=[secret] other=[secret] ab"
