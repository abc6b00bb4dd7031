from __future__ import annotations

import pytest

from pal_provider.declaration import catalog


def test_statuses_and_ceilings_come_from_the_data_file() -> None:
    glm = catalog.lookup("tavus-glm-4.7")
    assert glm is not None and glm.status == "recommended"
    assert glm.prompt_token_ceiling == 200_000
    assert catalog.default_model().id == "tavus-glm-4.7"
    gemma = catalog.lookup("tavus-gemma-4")
    assert gemma is not None and gemma.status == "available"


@pytest.mark.parametrize("model", ["tavus-gpt-4.1", "tavus-gpt-4o", "tavus-gpt-4o-mini"])
def test_deprecated_models_name_a_usable_replacement(model: str) -> None:
    info = catalog.lookup(model)
    assert info is not None and info.status == "deprecated"
    assert info.replacement is not None
    replacement = catalog.lookup(info.replacement)
    assert replacement is not None and replacement.status in ("recommended", "available")


@pytest.mark.parametrize("model", ["tavus-llama", "tavus-llama-4"])
def test_retired_models(model: str) -> None:
    info = catalog.lookup(model)
    assert info is not None and info.status == "retired"


def test_unknown_model_and_suggestions() -> None:
    assert catalog.lookup("gpt-4o") is None
    assert catalog.suggest("tavus-glm-4.8") == "tavus-glm-4.7"
    assert catalog.suggest("tavus-gemini-3-flsh") == "tavus-gemini-3-flash"
    assert catalog.suggest("something-else-entirely") is None
    # retired ids are never suggested
    assert catalog.suggest("tavus-llama-5") != "tavus-llama-4"


def test_parse_catalog_rejects_a_dangling_replacement() -> None:
    text = "default_model: a\nmodels:\n  a: {status: deprecated, replacement: b}\n"
    with pytest.raises(ValueError, match="replacement"):
        catalog.parse_catalog(text)
