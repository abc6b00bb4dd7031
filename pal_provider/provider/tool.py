"""``ToolResource``: a Pulumi dynamic resource that reconciles one account-level registry tool.

Type token ``pulumi-python:dynamic/tavus:Tool``. Mirrors ``PalResource``: ``check`` validates
offline with the declaration rules, ``diff`` compares canonical forms (secrets by declared
value), ``create`` posts or adopts an identical tool of the same name, ``update`` sends one
merge PATCH, ``read`` refreshes with drift, ``delete`` treats "already gone" as success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from pal_provider.core.masking import SECRET_REF_KEY, is_secret_ref
from pal_provider.declaration.models import ToolSpec
from pal_provider.declaration.tool_rules import check_registry_tool
from pal_provider.provider.base import FleetProvider, rule_problems
from pal_provider.provider.resource_props import declared_props, resource_options
from pal_provider.provider.tool_reconcile import ToolReconciler, declared_differences
from pal_provider.provider.tool_state import ToolInputs, ToolOutputs
from pal_provider.provider.unknowns import Path as UnknownPath

TOOL_MODULE = "tavus"
TOOL_TYPE_NAME = "Tool"
TOOL_TYPE_TOKEN = f"pulumi-python:dynamic/{TOOL_MODULE}:{TOOL_TYPE_NAME}"

T = TypeVar("T")


def _as_declaration(value: Any) -> Any:
    """Secret markers back to the declaration's ``{secret: key}`` shape, for the rules."""
    if isinstance(value, dict):
        if is_secret_ref(value):
            return {"secret": value[SECRET_REF_KEY]}
        return {k: _as_declaration(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_declaration(v) for v in value]
    return value


def check_tool_spec(
    inputs: ToolInputs, unknown: Sequence[UnknownPath] = ()
) -> list[tuple[str, str]]:
    """(path, reason) for every error the declaration rules find in the known part of the
    spec, plus unset secrets."""
    problems = rule_problems(
        ToolSpec,
        _as_declaration(inputs.spec),
        lambda report, spec: check_registry_tool(report, inputs.logical_name, spec),
        unknown,
    )
    for pointer in inputs.missing_secrets(unknown):
        problems.append(
            (
                pointer.lstrip("/").replace("/", "."),
                "secret reference has no value: set it with `pulumi config set --secret`",
            )
        )
    return problems


class ToolProvider(FleetProvider[ToolInputs, ToolOutputs]):
    """The provider of ``ToolResource`` (its class path is in every tool's state: never move
    it)."""

    kind = "tool"
    inputs_type = ToolInputs
    outputs_type = ToolOutputs

    def spec_problems(
        self, inputs: ToolInputs, unknown: Sequence[UnknownPath]
    ) -> list[tuple[str, str]]:
        return check_tool_spec(inputs, unknown)

    def compare(self, old: ToolOutputs, new: ToolInputs) -> DiffResult:
        """A new name is a new tool (names are the tools' identity in the account)."""
        replaces = ["logical_name"] if old.logical_name != new.logical_name else []
        changed = bool(declared_differences(old, new) or old.setting_changes(new) or replaces)
        return self.changed(changed, replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs(props)
        outputs = self._run(inputs, lambda r: r.create(inputs))
        return CreateResult(outputs.tool_id, outputs.model_dump(exclude_none=True))

    def update(self, tool_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old, new = self.outputs(olds), self.inputs(news)
        if not declared_differences(old, new):
            # Only settings changed (API URL, key name): nothing to send.
            outputs = ToolOutputs(
                **new.model_dump(), tool_id=tool_id, created_at=old.created_at, adopted=old.adopted
            )
        else:
            outputs = self._run(new, lambda r: r.update(tool_id, old, new))
        return UpdateResult(outputs.model_dump(exclude_none=True))

    def read(self, tool_id: str, props: dict[str, Any]) -> ReadResult:
        old = self.outputs(props)
        refreshed = self._run(old, lambda r: r.read(tool_id, old))
        if refreshed is None:
            return ReadResult(None, {})
        inputs = refreshed.as_inputs().model_dump(exclude_none=True)
        return ReadResult(tool_id, refreshed.model_dump(exclude_none=True), inputs)

    def delete(self, tool_id: str, props: dict[str, Any]) -> None:
        old = self.outputs(props)
        self._run(old, lambda r: r.delete(tool_id, old))

    def _run(self, inputs: ToolInputs, action: Callable[[ToolReconciler], T]) -> T:
        with self.operating_on(inputs):
            return action(ToolReconciler(self.connected(inputs)))


class ToolResource(Resource, module=TOOL_MODULE, name=TOOL_TYPE_NAME):
    """One registry tool of the stack. Type token ``pulumi-python:dynamic/tavus:Tool``."""

    spec: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        spec: dict[str, Any],
        secrets: dict[str, Any] | None = None,
        api_base_url: str | None = None,
        api_key_config: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = {"api_base_url": api_base_url, "api_key_config": api_key_config}
        props = declared_props(name, spec, secrets, settings)
        super().__init__(ToolProvider(), name, props, resource_options(opts))

    @property
    def tool_id(self) -> pulumi.Output[str]:
        """The tool's id in the account (the resource's id)."""
        return self.id


__all__ = [
    "TOOL_TYPE_TOKEN",
    "ToolProvider",
    "ToolResource",
    "check_tool_spec",
]
