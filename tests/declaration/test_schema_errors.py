from __future__ import annotations

import pytest
from pydantic import ValidationError

from pal_provider.declaration.models import FleetDeclaration
from pal_provider.declaration.schema_errors import validation_findings


def _findings(data: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as info:
        FleetDeclaration.model_validate(data)
    return [
        (f.path, f.message, f.fix)
        for f in validation_findings(info.value, FleetDeclaration, stack="s")
    ]


def test_union_member_tags_are_not_in_paths() -> None:
    data = {
        "bindings": {"api_base_url": "https://x"},
        "pals": {"a1": {"layers": {"llm": {"default_query": {"v": [1]}}}}},
    }
    [(path, message, _)] = _findings(data)
    assert path == "pals.a1.layers.llm.default_query.v"
    assert message.startswith("expected a string or")


def test_discriminator_tag_is_not_in_paths() -> None:
    auth = {"type": "bearer", "token": {"secret": "k"}, "extra": 1}
    data = {
        "bindings": {"api_base_url": "https://x"},
        "tools": {
            "t": {"description": "d", "delivery": {"api": {"url": "https://x", "auth": auth}}}
        },
    }
    [(path, message, fix)] = _findings(data)
    assert path == "tools.t.delivery.api.auth.extra"
    assert "unknown key" in message and "allowed keys here: token, type" in fix


def test_secret_values_are_never_echoed() -> None:
    data = {"bindings": {"api_base_url": "https://x", "api_key": "super-secret-value"}}
    found = _findings(data)
    assert found[0][0] == "bindings.api_key"
    assert all("super-secret-value" not in " ".join(f) for f in found)


def test_non_string_dict_keys() -> None:
    data = {"bindings": {"api_base_url": "https://x"}, "pals": {12: {"system_prompt": "s"}}}
    found = _findings(data)
    assert found[0][0] == "pals.12"
    assert "keys must be strings" in found[0][1]
