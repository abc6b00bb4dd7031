"""A PAL's registry tool attachments: what is attached, attach, detach, verify.

Attachments are reconciled with the tools sub-resource: list what is attached, attach what is
missing (one idempotent POST), detach what is extra. The order in which a PAL's lifecycle uses
them (and an inline-tool migration's safe sequence) is in :mod:`pal_lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pal_provider.api import NotFound, PalApiError
from pal_provider.declaration.migration import inline_entries
from pal_provider.provider.failures import ReconcileError, deleted_outside_pulumi, failed
from pal_provider.provider.state import PalInputs

if TYPE_CHECKING:
    from pal_provider.api import PalClient


class AttachmentReconciler:
    def __init__(self, client: PalClient) -> None:
        self._client = client

    def attached(self, pal_id: str) -> list[dict[str, Any]]:
        try:
            return self._client.list_attached_tools(pal_id)
        except NotFound:
            raise deleted_outside_pulumi("PAL", pal_id) from None
        except PalApiError as exc:
            raise failed(f"listing the tools attached to PAL {pal_id}", exc) from None

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
            raise failed(f"attaching tools to PAL {pal_id}", exc) from None

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


def attachments_differ(old: PalInputs, new: PalInputs) -> bool:
    if new.attached_tool_ids is None:
        return False
    return set(old.attached_tool_ids or []) != set(new.attached_tool_ids)
