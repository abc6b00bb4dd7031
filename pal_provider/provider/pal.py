"""``PalResource``: a Pulumi dynamic resource that reconciles one Tavus PAL.

The provider implements the engine's protocol on top of the core: ``check`` validates,
``diff`` compares canonical forms of the previous outputs and the new inputs, ``create``
posts (or adopts), ``update`` sends one minimal JSON Patch computed against the live PAL,
``read`` refreshes from the API and ``delete`` treats "already gone" as success.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from pal_provider.provider import pal_lifecycle as lifecycle
from pal_provider.provider.attachments import AttachmentReconciler, attachments_differ
from pal_provider.provider.base import FleetProvider
from pal_provider.provider.reconcile import PalReconciler
from pal_provider.provider.resource_props import declared_props, resource_options
from pal_provider.provider.state import PalInputs, PalOutputs
from pal_provider.provider.unknowns import Path as UnknownPath

PAL_MODULE = "tavus"
PAL_TYPE_NAME = "Pal"
PAL_TYPE_TOKEN = f"pulumi-python:dynamic/{PAL_MODULE}:{PAL_TYPE_NAME}"


class PalProvider(FleetProvider[PalInputs, PalOutputs]):
    """The provider of ``PalResource`` (its class path is in every PAL's state: never move it)."""

    kind = "PAL"
    inputs_type = PalInputs
    outputs_type = PalOutputs

    def _reconciler(self, inputs: PalInputs) -> PalReconciler:
        return PalReconciler.for_inputs(inputs, self.settings())

    def spec_problems(
        self, inputs: PalInputs, unknown: Sequence[UnknownPath]
    ) -> list[tuple[str, str]]:
        return PalReconciler.check_spec(inputs, unknown)

    def compare(self, old: PalOutputs, new: PalInputs) -> DiffResult:
        return self.changed(content_changed(old, new) or bool(old.setting_changes(new)))

    # -- create / update / read / delete ---------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs(props)
        with self.operating_on(inputs):
            reconciler = self._reconciler(inputs)
            outputs = lifecycle.create_pal(reconciler, self._attachments(reconciler), inputs)
        return CreateResult(outputs.pal_id, outputs.model_dump(exclude_none=True))

    def update(self, pal_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old, new = self.outputs(olds), self.inputs(news)
        with self.operating_on(new):
            if not content_changed(old, new):
                # Only settings changed (API URL, key name, force, ...): nothing to send.
                outputs = PalOutputs(**new.model_dump(), pal_id=pal_id, created_at=old.created_at)
            else:
                reconciler = self._reconciler(new)
                attachments = self._attachments(reconciler)
                outputs = lifecycle.update_pal(reconciler, attachments, pal_id, old, new)
        return UpdateResult(outputs.model_dump(exclude_none=True))

    def read(self, pal_id: str, props: dict[str, Any]) -> ReadResult:
        old = self.outputs(props)
        with self.operating_on(old):
            reconciler = self._reconciler(old)
            refreshed = lifecycle.read_pal(reconciler, self._attachments(reconciler), pal_id, old)
        if refreshed is None:
            return ReadResult(None, {})
        outs = refreshed.model_dump(exclude_none=True)
        inputs = refreshed.as_inputs().model_dump(exclude_none=True)
        return ReadResult(pal_id, outs, inputs)

    def delete(self, pal_id: str, props: dict[str, Any]) -> None:
        old = self.outputs(props)
        with self.operating_on(old):
            self._reconciler(old).delete(pal_id)

    @staticmethod
    def _attachments(reconciler: PalReconciler) -> AttachmentReconciler:
        return AttachmentReconciler(reconciler.client)


def content_changed(old: PalInputs, new: PalInputs) -> bool:
    """Whether the live PAL needs a write: its declared content, a secret or its attachments."""
    return not PalReconciler.declared_changes(old, new).empty or attachments_differ(old, new)


class PalResource(Resource, module=PAL_MODULE, name=PAL_TYPE_NAME):
    """One PAL of the fleet. Type token ``pulumi-python:dynamic/tavus:Pal``."""

    spec: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        spec: dict[str, Any],
        secrets: dict[str, Any] | None = None,
        adopt_id: str | None = None,
        force_maker_overwrite: bool = False,
        api_base_url: str | None = None,
        api_key_config: str | None = None,
        attached_tool_ids: Any = None,
        migrated_tool_names: list[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = {
            "api_base_url": api_base_url,
            "api_key_config": api_key_config,
            "adopt_id": adopt_id,
            "force_maker_overwrite": force_maker_overwrite,
            "migrated_tool_names": migrated_tool_names or None,
        }
        props: dict[str, Any] = {
            **declared_props(name, spec, secrets, settings),
            "attached_tool_ids": attached_tool_ids,
        }
        super().__init__(PalProvider(), name, props, resource_options(opts))

    @property
    def pal_id(self) -> pulumi.Output[str]:
        """The PAL's id in the account (the resource's id)."""
        return self.id
