"""The lifecycle of one PAL as ``PalProvider`` runs it: create, update, read.

Each operation combines the PAL's own document (:mod:`reconcile`) with its registry tool
attachments (:mod:`attachments`). A migrating PAL goes through, in this order: attach the
registry tools, read the attachments back to verify them, and only then apply the spec patch
that removes the inline entries. When a step fails, the PAL is left working: any tool that
ended up both inline and attached is detached again (best effort), and the next run repeats
the sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pal_provider.provider.attachments import AttachmentReconciler
from pal_provider.provider.failures import ReconcileError
from pal_provider.provider.reconcile import PalReconciler
from pal_provider.provider.state import PalInputs, PalOutputs


def _migrating(inputs: PalInputs) -> bool:
    return bool(inputs.settings.migrated_tool_names) and inputs.attached_tool_ids is not None


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
        return reconciler.create_pal(inputs).outputs
    adopt_id = inputs.settings.adopt_id
    if adopt_id:
        # An existing PAL: attach before the spec patch that may remove its inline tools.
        outputs = _attach_then(
            attachments, adopt_id, inputs, lambda: reconciler.create_pal(inputs).outputs
        )
        return outputs
    if not desired:
        return reconciler.create_pal(inputs).outputs
    # A new PAL gets its tools atomically with the POST (``tool_ids``): a failure after the
    # POST would leave a PAL that Pulumi does not know about.
    with_ids = inputs.model_copy(update={"spec": {**inputs.spec, "tool_ids": list(desired)}})
    written = reconciler.create_pal(with_ids)
    outputs = written.outputs.model_copy(update={"spec": inputs.spec})
    try:
        # The answer to the POST carries the attachments (no extra read) when the server sends
        # the full document; a short answer means one read of the tools sub-resource.
        if set(desired) - set(attachments.attached_ids(outputs.pal_id, written.document)):
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
    if new.attached_tool_ids is None or new.attached_tool_ids == old.attached_tool_ids:
        # The attachments stay: one guarded PATCH, read first only if the PAL changed.
        return reconciler.update(pal_id, old, new)
    # One GET serves both the attachments (the PAL's tool_ids) and the spec patch. Attaching
    # does not touch the spec fields the patch is computed on, so the read stays valid.
    live = reconciler.get_live(pal_id)
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
