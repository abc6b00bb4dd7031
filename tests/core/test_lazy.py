from __future__ import annotations

import sys

import pytest

from pal_provider import declaration


def test_a_name_is_imported_from_its_module_once_then_held_by_the_package() -> None:
    declaration.__dict__.pop("load_stack", None)
    loaded = declaration.load_stack
    assert loaded is sys.modules["pal_provider.declaration.loader"].load_stack
    assert declaration.__dict__["load_stack"] is loaded


def test_a_name_the_package_does_not_list_is_an_attribute_error() -> None:
    with pytest.raises(
        AttributeError, match=r"'pal_provider\.declaration' has no attribute 'nope'"
    ):
        _ = declaration.nope  # type: ignore[attr-defined]


def test_a_submodule_is_still_importable_by_name() -> None:
    from pal_provider.declaration import catalog

    assert catalog.__name__ == "pal_provider.declaration.catalog"
