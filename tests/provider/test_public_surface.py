"""Existing stacks' state pickles the providers by class path: those paths never change."""

from __future__ import annotations

import base64

import dill
from pulumi.dynamic.dynamic import serialize_provider

import pal_provider.provider as provider
from pal_provider.provider.pal import PalProvider
from pal_provider.provider.records import GuardrailProvider, ObjectivesProvider
from pal_provider.provider.tool import ToolProvider


def test_the_pickled_class_paths_are_stable() -> None:
    assert (PalProvider.__module__, PalProvider.__qualname__) == (
        "pal_provider.provider.pal",
        "PalProvider",
    )
    assert (ToolProvider.__module__, ToolProvider.__qualname__) == (
        "pal_provider.provider.tool",
        "ToolProvider",
    )
    for record in (GuardrailProvider, ObjectivesProvider):
        assert (record.__module__, record.__qualname__) == (
            "pal_provider.provider.records",
            record.__name__,
        )
    for cls in (PalProvider, ToolProvider, GuardrailProvider, ObjectivesProvider):
        blob = base64.b64decode(serialize_provider(cls()))
        assert cls.__module__.encode() in blob and cls.__qualname__.encode() in blob
        assert type(dill.loads(blob)) is cls


def test_the_package_exports_what_a_program_registers() -> None:
    assert provider.PalResource.__name__ == "PalResource"
    assert provider.ToolResource.__name__ == "ToolResource"
    assert provider.PAL_TYPE_TOKEN == "pulumi-python:dynamic/tavus:Pal"
    assert provider.TOOL_TYPE_TOKEN == "pulumi-python:dynamic/tavus:Tool"
    assert provider.GUARDRAIL_TYPE_TOKEN == "pulumi-python:dynamic/tavus:Guardrail"
    assert provider.OBJECTIVES_TYPE_TOKEN == "pulumi-python:dynamic/tavus:Objectives"
