"""A PAL's registry tool attachments, and the safe order of an inline-tool migration.

Attachments are reconciled with the tools sub-resource: list what is attached, attach what is
missing (one idempotent POST), detach what is extra. A migrating PAL goes through, in this
order: attach the registry tools, read the attachments back to verify them, and only then
apply the spec patch that removes the inline entries. When a step fails, the PAL is left
working: any tool that ended up both inline and attached is detached again (best effort), and
the next run repeats the sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pal_provider.api import NotFound, PalApiError, PalClient
from pal_provider.declaration.migration import inline_entries
from pal_provider.provider.failures import ReconcileError
from pal_provider.provider.reconcile import PalReconciler
from pal_provider.provider.state import PalInputs, PalOutputs


class AttachmentReconciler:
    def __init__(self, client: PalClient) -> None:
        self._client = client

    def attached(self, pal_id: str) -> list[dict[str, Any]]:
        try:
            return self._client.list_attached_tools(pal_id)
        except NotFound:
            raise ReconcileError(
                f"PAL {pal_id} no longer exists (deleted outside Pulumi): run `pulumi refresh`, "
                "then `pulumi up` recreates it"
            ) from None
        except PalApiError as exc:
            raise ReconcileError(
                f"listing the tools attached to PAL {pal_id} failed: {exc}"
            ) from None

    def attached_ids(self, pal_id: str, live_pal: dict[str, Any] | None = None) -> list[str]:
        """Attached registry tool ids: from the PAL document's ``tool_ids`` when the server
        includes it (no extra request), else from the tools sub-resource."""
        if live_pal is not None and isinstance(live_pal.get("tool_ids"), list):
            return [str(tool_id) for tool_id in live_pal["tool_ids"]]
        return [str(tool["tool_id"]) for tool in self.attached(pal_id)]

    def reconcile(
        self, pal_id: str, desired: Sequence[str], live_pal: dict[str, Any] | None = None
    ) -> None:
        live = self.attached_ids(pal_id, live_pal)
        missing = [tool_id for tool_id in dict.fromkeys(desired) if tool_id not in live]
        extra = [tool_id for tool_id in live if tool_id not in desired]
        try:
            if missing:
                self._client.attach_tools(pal_id, missing)
            for tool_id in extra:
                self._client.detach_tool(pal_id, tool_id)
        except PalApiError as exc:
            raise ReconcileError(f"attaching tools to PAL {pal_id} failed: {exc}") from None

    def verify(self, pal_id: str, desired: Sequence[str]) -> None:
        live = set(self.attached_ids(pal_id))
        absent = sorted(set(desired) - live)
        if absent:
            raise ReconcileError(
                f"reading back PAL {pal_id}'s attachments, {', '.join(absent)} is not attached; "
                "its inline tools were left in place. Re-run `pulumi up`"
            )

    def separate_duplicates(self, pal_id: str) -> list[str]:
        """Detach every attached tool whose name is still inline on the live PAL (best effort:
        never raises, so the original failure is what the user sees). Returns their names."""
        try:
            inline = {entry.name for entry in inline_entries(self._client.get_pal(pal_id))}
            duplicates = [
                tool
                for tool in self._client.list_attached_tools(pal_id)
                if tool.get("name") in inline
            ]
            for tool in duplicates:
                self._client.detach_tool(pal_id, str(tool["tool_id"]))
        except PalApiError:
            return []
        return sorted(str(tool.get("name")) for tool in duplicates)

    def ordered_live_ids(
        self, pal_id: str, declared: Sequence[str], live_pal: dict[str, Any] | None = None
    ) -> list[str]:
        """The live attachments, declared ones first in declared order (refresh stays quiet)."""
        live = self.attached_ids(pal_id, live_pal)
        return [t for t in declared if t in live] + sorted(t for t in live if t not in declared)


def _migrating(inputs: PalInputs) -> bool:
    return bool(inputs.migrated_tool_names) and inputs.attached_tool_ids is not None


def _guarded(
    attachments: AttachmentReconciler,
    pal_id: str,
    inputs: PalInputs,
    step: Callable[[], PalOutputs],
) -> PalOutputs:
    """Run ``step``; if it fails mid-migration, undo any inline + attached duplicate."""
    try:
        return step()
    except ReconcileError as exc:
        if not _migrating(inputs):
            raise
        detached = attachments.separate_duplicates(pal_id)
        note = (
            f" (detached {', '.join(detached)} again so no tool is both inline and attached)"
            if detached
            else ""
        )
        raise ReconcileError(
            f"{exc}. The inline-tool migration stopped before removing the inline entries; the "
            f"PAL keeps working with them{note}. Re-run `pulumi up` to finish it"
        ) from None


def _attach_then(
    attachments: AttachmentReconciler,
    pal_id: str,
    inputs: PalInputs,
    apply_spec: Callable[[], PalOutputs],
    live_pal: dict[str, Any] | None = None,
) -> PalOutputs:
    desired = inputs.attached_tool_ids or []

    def sequence() -> PalOutputs:
        attachments.reconcile(pal_id, desired, live_pal)
        if _migrating(inputs):
            attachments.verify(pal_id, desired)
        return apply_spec()

    return _guarded(attachments, pal_id, inputs, sequence)


def create_pal(
    reconciler: PalReconciler, attachments: AttachmentReconciler, inputs: PalInputs
) -> PalOutputs:
    desired = inputs.attached_tool_ids
    if desired is None:
        return reconciler.create(inputs)
    if inputs.adopt_id:
        # An existing PAL: attach before the spec patch that may remove its inline tools.
        outputs = _attach_then(
            attachments, inputs.adopt_id, inputs, lambda: reconciler.create(inputs)
        )
        return outputs
    if not desired:
        return reconciler.create(inputs)
    # A new PAL gets its tools atomically with the POST (``tool_ids``): a failure after the
    # POST would leave a PAL that Pulumi does not know about.
    with_ids = inputs.model_copy(update={"spec": {**inputs.spec, "tool_ids": list(desired)}})
    outputs = reconciler.create(with_ids).model_copy(update={"spec": inputs.spec})
    try:
        if set(desired) - set(attachments.attached_ids(outputs.pal_id)):
            attachments.reconcile(outputs.pal_id, desired)
    except ReconcileError:
        # The PAL exists, so it must be recorded. Recording no attachments (rather than the
        # desired ones) makes the next `pulumi up` see the difference and attach the rest.
        return outputs.model_copy(update={"attached_tool_ids": []})
    return outputs


def update_pal(
    reconciler: PalReconciler,
    attachments: AttachmentReconciler,
    pal_id: str,
    old: PalInputs,
    new: PalInputs,
) -> PalOutputs:
    # One GET serves both the attachments (the PAL's tool_ids) and the spec patch. Attaching
    # does not touch the spec fields the patch is computed on, so the read stays valid.
    live = reconciler.get_live(pal_id)
    if new.attached_tool_ids is None:
        return reconciler.update(pal_id, old, new, live=live)
    return _attach_then(
        attachments,
        pal_id,
        new,
        lambda: reconciler.update(pal_id, old, new, live=live),
        live,
    )


def read_pal(
    reconciler: PalReconciler, attachments: AttachmentReconciler, pal_id: str, old: PalOutputs
) -> PalOutputs | None:
    live_pal = reconciler.find_live(pal_id)
    if live_pal is None:
        return None  # deleted out of band
    refreshed = reconciler.read(pal_id, old, live=live_pal)
    if refreshed is None or old.attached_tool_ids is None:
        return refreshed
    live = attachments.ordered_live_ids(pal_id, old.attached_tool_ids, live_pal)
    return refreshed.model_copy(update={"attached_tool_ids": live})


def attachments_differ(old: PalInputs, new: PalInputs) -> bool:
    if new.attached_tool_ids is None:
        return False
    return set(old.attached_tool_ids or []) != set(new.attached_tool_ids)
