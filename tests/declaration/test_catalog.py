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


def test_a_malformed_catalog_names_its_file_and_line() -> None:
    text = "default_model: a\nmodels:\n  a: {status: recommended\n"
    with pytest.raises(catalog.CatalogError, match=r"^models\.yaml:\d+: malformed YAML"):
        catalog.merge_catalog(None, text, "models.yaml")


def test_a_model_given_twice_is_refused_with_both_lines() -> None:
    text = "default_model: a\nmodels:\n  a: {status: recommended}\n  a: {status: deprecated}\n"
    with pytest.raises(catalog.CatalogError) as raised:
        catalog.merge_catalog(None, text, "models.yaml")
    assert str(raised.value) == (
        "models.yaml:4: models.a is given twice (first on line 3); keep one"
    )


def test_catalog_scalars_keep_their_yaml_1_2_meaning() -> None:
    # `off` is a string in YAML 1.2 (a boolean in 1.1): a model may be named so.
    text = "default_model: off\nmodels:\n  off: {status: recommended, note: yes}\n"
    parsed = catalog.merge_catalog(None, text, "models.yaml")
    assert parsed.default_model == "off" and parsed.models["off"].note == "yes"


def test_the_shipped_catalog_is_parsed_once_by_concurrent_first_callers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    monkeypatch.setattr(catalog, "_shipped", None)
    parsed: list[str] = []
    original = catalog.parse_catalog

    def counting(text: str) -> catalog.Catalog:
        parsed.append(text)
        return original(text)

    monkeypatch.setattr(catalog, "parse_catalog", counting)
    start = threading.Barrier(4)
    seen: list[catalog.Catalog] = []

    def first_call() -> None:
        start.wait()
        seen.append(catalog.shipped_catalog())

    threads = [threading.Thread(target=first_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(parsed) == 1 and len({id(c) for c in seen}) == 1
