"""``PalResource``: a Pulumi dynamic resource that reconciles one Tavus PAL.

The provider implements the engine's protocol on top of the core: ``check`` validates,
``diff`` compares canonical forms of the previous outputs and the new inputs, ``create``
posts (or adopts), ``update`` sends one minimal JSON Patch computed against the live PAL,
``read`` refreshes from the API and ``delete`` treats "already gone" as success.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from pal_provider.provider import attachments as lifecycle
from pal_provider.provider.attachments import AttachmentReconciler, attachments_differ
from pal_provider.provider.failures import quiet_tracebacks, reported_as
from pal_provider.provider.reconcile import PalReconciler
from pal_provider.provider.resource_props import declared_props, resource_options
from pal_provider.provider.settings import ProviderSettings
from pal_provider.provider.state import PROVIDER_KEY, PalInputs, PalOutputs
from pal_provider.provider.unknowns import contains_unknown

PAL_MODULE = "tavus"
PAL_TYPE_NAME = "Pal"
PAL_TYPE_TOKEN = f"pulumi-python:dynamic/{PAL_MODULE}:{PAL_TYPE_NAME}"


class PalProvider(ResourceProvider):
    """Stateless between calls; one instance may serve four concurrent calls.

    Nothing but class-level constants lives on the instance until ``configure()`` runs in
    the provider server, so the pickled ``__provider`` blob carries no client, lock or secret.
    """

    # We prove the blob holds no secret; let Pulumi keep it readable unless it captured one.
    serialize_as_secret_always = False

    _settings: ProviderSettings | None

    def configure(self, req: ConfigureRequest) -> None:
        quiet_tracebacks()
        self._settings = ProviderSettings.from_configure(req.config)

    def _reconciler(self, inputs: PalInputs) -> PalReconciler:
        settings = getattr(self, "_settings", None) or ProviderSettings.from_configure(None)
        return PalReconciler.for_inputs(inputs, settings)

    # -- check -----------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate what is known; values the engine does not know yet (a preview) pass, and
        the inputs go back untouched, unknowns included, so the following diff sees them."""
        checked = PalInputs.checked(news)
        failures = [CheckFailure(path, reason) for path, reason in checked.problems]
        if checked.inputs is not None:
            failures += [
                CheckFailure(f"spec.{path}" if path else "spec", reason)
                for path, reason in PalReconciler.check_spec(checked.inputs, checked.unknown)
            ]
        return CheckResult(news, failures)

    # -- diff ------------------------------------------------------------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Never raises: an input that is not known yet, or a stored state this version cannot
        read, counts as a change (the update that follows works from the live PAL)."""
        try:
            changed = self._changed(olds, news)
        except Exception:
            changed = True
        return DiffResult(changes=changed, replaces=[], delete_before_replace=True)

    @staticmethod
    def _changed(olds: dict[str, Any], news: dict[str, Any]) -> bool:
        if contains_unknown(news):
            return True
        old = PalOutputs.from_props(olds)
        new = PalInputs.from_props(_without_provider(news))
        return content_changed(old, new) or bool(old.setting_changes(new))

    # -- create / update / read / delete ---------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = PalInputs.from_props(_without_provider(props))
        with reported_as(f"PAL {inputs.logical_name!r}"):
            reconciler = self._reconciler(inputs)
            outputs = lifecycle.create_pal(reconciler, self._attachments(reconciler), inputs)
        return CreateResult(outputs.pal_id, outputs.model_dump(exclude_none=True))

    def update(self, pal_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old = PalOutputs.from_props(olds)
        new = PalInputs.from_props(_without_provider(news))
        with reported_as(f"PAL {new.logical_name!r}"):
            if not content_changed(old, new):
                # Only settings changed (API URL, key name, force, ...): nothing to send.
                outputs = PalOutputs(**new.model_dump(), pal_id=pal_id, created_at=old.created_at)
            else:
                reconciler = self._reconciler(new)
                attachments = self._attachments(reconciler)
                outputs = lifecycle.update_pal(reconciler, attachments, pal_id, old, new)
        return UpdateResult(outputs.model_dump(exclude_none=True))

    def read(self, pal_id: str, props: dict[str, Any]) -> ReadResult:
        old = PalOutputs.from_props(_without_provider(props))
        with reported_as(f"PAL {old.logical_name!r}"):
            reconciler = self._reconciler(old)
            refreshed = lifecycle.read_pal(reconciler, self._attachments(reconciler), pal_id, old)
        if refreshed is None:
            return ReadResult(None, {})
        outs = refreshed.model_dump(exclude_none=True)
        inputs = refreshed.as_inputs().model_dump(exclude_none=True)
        return ReadResult(pal_id, outs, inputs)

    def delete(self, pal_id: str, props: dict[str, Any]) -> None:
        old = PalOutputs.from_props(_without_provider(props))
        with reported_as(f"PAL {old.logical_name!r}"):
            self._reconciler(old).delete(pal_id)

    @staticmethod
    def _attachments(reconciler: PalReconciler) -> AttachmentReconciler:
        return AttachmentReconciler(reconciler.client)


def _without_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def content_changed(old: PalInputs, new: PalInputs) -> bool:
    """Whether the live PAL needs a write: its declared content, a secret or its attachments."""
    return not PalReconciler.declared_changes(old, new).empty or attachments_differ(old, new)


class PalResource(Resource, module=PAL_MODULE, name=PAL_TYPE_NAME):
    """One PAL of the fleet. Type token ``pulumi-python:dynamic/tavus:Pal``."""

    pal_id: pulumi.Output[str]
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
        props: dict[str, Any] = {
            **declared_props(name, spec, secrets, api_base_url, api_key_config),
            "attached_tool_ids": attached_tool_ids,
            "migrated_tool_names": migrated_tool_names or None,
            "adopt_id": adopt_id,
            "force_maker_overwrite": force_maker_overwrite,
            "pal_id": None,
            "created_at": None,
        }
        super().__init__(PalProvider(), name, props, resource_options(opts))
