"""``GuardrailResource`` and ``ObjectivesResource``: dynamic resources that reconcile the
account's guardrails and objective sets (pal-api.md section 8), managed by logical name like
registry tools, so a PAL's ``guardrail_ids`` and ``objectives_id`` are this account's ids in
every environment.

Type tokens ``pulumi-python:dynamic/tavus:Guardrail`` and ``pulumi-python:dynamic/tavus:Objectives``.
``check`` validates offline with the declaration rules (unknown values pass), ``diff``
compares canonical forms, ``create`` adopts an identical live record of the same name or posts
one, ``update`` sends one JSON Patch of the changed fields, ``read`` reports drift, ``delete``
treats "already gone" as success. Neither kind carries secrets. The provider classes are
pickled into every resource's state by class path: never move them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pydantic import BaseModel

from pal_provider.core.records import GUARDRAIL, OBJECTIVES, RecordKind, canonical_record
from pal_provider.declaration.findings import Report
from pal_provider.declaration.models import GuardrailSpec, ObjectivesSpec
from pal_provider.declaration.record_rules import check_guardrail, check_objectives
from pal_provider.provider.base import FleetProvider, rule_problems
from pal_provider.provider.record_reconcile import RecordOutputs, RecordReconciler
from pal_provider.provider.resource_props import declared_props, resource_options
from pal_provider.provider.state import DeclaredInputs
from pal_provider.provider.unknowns import Path as UnknownPath

RECORD_MODULE = "tavus"
GUARDRAIL_TYPE_TOKEN = f"pulumi-python:dynamic/{RECORD_MODULE}:Guardrail"
OBJECTIVES_TYPE_TOKEN = f"pulumi-python:dynamic/{RECORD_MODULE}:Objectives"

T = TypeVar("T")


class RecordProvider(FleetProvider[DeclaredInputs, RecordOutputs]):
    """What both record providers share; a subclass names its kind and its rules."""

    inputs_type = DeclaredInputs
    outputs_type = RecordOutputs
    record_kind: ClassVar[RecordKind]
    spec_model: ClassVar[type[BaseModel]]
    check_rules: ClassVar[Callable[[Report, str, Any], None]]

    def spec_problems(
        self, inputs: DeclaredInputs, unknown: Sequence[UnknownPath]
    ) -> list[tuple[str, str]]:
        rules = type(self).check_rules
        return rule_problems(
            self.spec_model,
            inputs.spec,
            lambda report, spec: rules(report, inputs.logical_name, spec),
            unknown,
        )

    def compare(self, old: RecordOutputs, new: DeclaredInputs) -> DiffResult:
        kind = self.record_kind
        differs = canonical_record(kind, old.spec) != canonical_record(kind, new.spec)
        return self.changed(differs or bool(old.setting_changes(new)))

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs(props)
        outputs = self._run(inputs, lambda r: r.create(inputs))
        return CreateResult(outputs.record_id, outputs.model_dump(exclude_none=True))

    def update(self, record_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old, new = self.outputs(olds), self.inputs(news)
        outputs = self._run(new, lambda r: r.update(record_id, old, new))
        return UpdateResult(outputs.model_dump(exclude_none=True))

    def read(self, record_id: str, props: dict[str, Any]) -> ReadResult:
        old = self.outputs(props)
        refreshed = self._run(old, lambda r: r.read(record_id, old))
        if refreshed is None:
            return ReadResult(None, {})
        inputs = refreshed.as_inputs().model_dump(exclude_none=True)
        return ReadResult(record_id, refreshed.model_dump(exclude_none=True), inputs)

    def delete(self, record_id: str, props: dict[str, Any]) -> None:
        old = self.outputs(props)
        self._run(old, lambda r: r.delete(record_id, old))

    def _run(self, inputs: DeclaredInputs, action: Callable[[RecordReconciler], T]) -> T:
        with self.operating_on(inputs):
            return action(RecordReconciler(self.connected(inputs), self.record_kind))


class GuardrailProvider(RecordProvider):
    """The provider of ``GuardrailResource``."""

    kind = "guardrail"
    record_kind = GUARDRAIL
    spec_model = GuardrailSpec
    check_rules = staticmethod(check_guardrail)  # type: ignore[assignment]


class ObjectivesProvider(RecordProvider):
    """The provider of ``ObjectivesResource``."""

    kind = "objective set"
    record_kind = OBJECTIVES
    spec_model = ObjectivesSpec
    check_rules = staticmethod(check_objectives)  # type: ignore[assignment]


class _RecordResource(Resource):
    """What both record resources register: a logical name, a spec, the account settings."""

    spec: pulumi.Output[dict[str, Any]]
    provider_type: ClassVar[type[RecordProvider]]

    def __init__(
        self,
        name: str,
        *,
        spec: dict[str, Any],
        api_base_url: str | None = None,
        api_key_config: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = {"api_base_url": api_base_url, "api_key_config": api_key_config}
        props = declared_props(name, spec, None, settings)
        super().__init__(self.provider_type(), name, props, resource_options(opts))


class GuardrailResource(_RecordResource, module=RECORD_MODULE, name="Guardrail"):
    """One guardrail of the stack. Type token ``pulumi-python:dynamic/tavus:Guardrail``."""

    provider_type = GuardrailProvider


class ObjectivesResource(_RecordResource, module=RECORD_MODULE, name="Objectives"):
    """One objective set of the stack. Type token ``pulumi-python:dynamic/tavus:Objectives``."""

    provider_type = ObjectivesProvider
