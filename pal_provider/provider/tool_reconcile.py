"""What the registry tool provider does against the API, apart from the Pulumi protocol glue.

Names are unique per account, so a tool is found by name: create adopts an identical live
tool (never a duplicate) and refuses a different one; a create whose outcome is unknown is
resolved by looking the name up instead of repeating it. Updates are one merge PATCH holding
only the fields that differ; an auth secret is sent only when its declared value changed (the
API echoes secrets as ``********`` and rejects that placeholder).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from pal_provider.api import NotFound, OutcomeUnknown, PalApiError, ValidationFailed
from pal_provider.core.jsonvalue import from_pointer
from pal_provider.core.masking import MASK, TOOL_AUTH_SECRET_KEYS, secret_ref, secret_refs
from pal_provider.declaration.tool_definition import (
    TOOL_FIELDS,
    canonical_tool,
    definition_differences,
)
from pal_provider.provider.failures import ReconcileError, deleted_outside_pulumi, failed
from pal_provider.provider.state import created_at_of
from pal_provider.provider.tool_state import ToolInputs, ToolOutputs

if TYPE_CHECKING:
    from pal_provider.api import PalClient

AUTH_POINTER = "/delivery/api/auth/"


def changed_tool_secrets(old: ToolInputs | None, new: ToolInputs) -> set[str]:
    """Auth secret keys whose declared value (or reference) differs from the last applied one."""
    declared = secret_refs(new.spec)
    previous = secret_refs(old.spec) if old is not None else {}
    changed = {
        pointer
        for pointer in declared
        if old is None
        or pointer not in previous
        or previous[pointer] != declared[pointer]
        or old.secrets.get(pointer) != new.secrets.get(pointer)
    }
    return {from_pointer(p)[-1] for p in changed}


def declared_differences(old: ToolInputs, new: ToolInputs) -> list[str]:
    """Top-level fields whose declared value changed (``delivery`` when only a secret did)."""
    a, b = canonical_tool(old.spec), canonical_tool(new.spec)
    fields = [key for key in TOOL_FIELDS if a.get(key) != b.get(key)]
    if changed_tool_secrets(old, new) and "delivery" not in fields:
        fields.append("delivery")
    return fields


def merge_patch(
    live: dict[str, Any], desired_body: dict[str, Any], changed_secrets: set[str]
) -> dict[str, Any]:
    """The merge PATCH turning ``live`` into ``desired_body`` (with secret values in place).

    A field the declaration dropped is sent as ``null`` (the server restores its default).
    ``delivery`` is sent whole when it differs, but an auth secret the live tool already holds
    under the same auth type is left out unless its declared value changed.
    """
    current, desired = canonical_tool(live), canonical_tool(desired_body)
    fields: dict[str, Any] = {}
    for key in TOOL_FIELDS:
        if key != "delivery" and current.get(key) != desired.get(key):
            fields[key] = copy.deepcopy(desired_body.get(key))
    if current["delivery"] == desired["delivery"] and not changed_secrets:
        return fields
    delivery = copy.deepcopy(desired_body.get("delivery") or {"app_message": True})
    api = delivery.get("api") if isinstance(delivery, dict) else None
    auth = api.get("auth") if isinstance(api, dict) else None
    live_auth = (current["delivery"].get("api") or {}).get("auth") or {}
    if isinstance(auth, dict) and live_auth.get("type") == auth.get("type"):
        for key in TOOL_AUTH_SECRET_KEYS:
            if key in auth and key in live_auth and key not in changed_secrets:
                del auth[key]
    fields["delivery"] = delivery
    return fields


def spec_from_live(live: dict[str, Any], declared_spec: dict[str, Any]) -> dict[str, Any]:
    """Refresh's new spec: the declaration when the live tool matches it, else the live fields
    with each masked secret back as the declared reference (we cannot know it changed)."""
    if canonical_tool(live) == canonical_tool(declared_spec):
        return declared_spec
    spec = {key: copy.deepcopy(live[key]) for key in TOOL_FIELDS if live.get(key) is not None}
    auth = ((spec.get("delivery") or {}).get("api") or {}).get("auth")
    if isinstance(auth, dict):
        for pointer, config_key in secret_refs(declared_spec).items():
            if pointer.startswith(AUTH_POINTER):
                key = from_pointer(pointer)[-1]
                if auth.get(key) == MASK:
                    auth[key] = secret_ref(config_key)
    return spec


class ToolReconciler:
    def __init__(self, client: PalClient) -> None:
        self._client = client

    def create(self, inputs: ToolInputs) -> ToolOutputs:
        existing = self._find(inputs.logical_name)
        if existing is not None:
            return self._adopt(existing, inputs, adopted=True)
        try:
            created = self._client.create_tool(inputs.body())
        except OutcomeUnknown as exc:
            found = self._find(inputs.logical_name)
            if found is not None:
                # The name is unique: the lost create made it (or someone raced us; same check).
                return self._adopt(found, inputs, adopted=False)
            try:
                created = self._client.create_tool(inputs.body())
            except PalApiError as retry:
                raise ReconcileError(
                    f"create failed after an unknown outcome ({exc}): {retry}"
                ) from None
        except ValidationFailed as exc:
            found = self._find(inputs.logical_name)
            if found is not None:  # created concurrently between our lookup and our POST
                return self._adopt(found, inputs, adopted=True)
            raise failed("create", exc) from None
        except PalApiError as exc:
            raise failed("create", exc) from None
        return self._outputs(inputs, created, adopted=False)

    def update(self, tool_id: str, old: ToolInputs, new: ToolInputs) -> ToolOutputs:
        live = self._get(tool_id)
        fields = merge_patch(live, new.body(), changed_tool_secrets(old, new))
        if fields:
            try:
                live = self._client.update_tool(tool_id, fields)
            except PalApiError as exc:
                raise failed(f"updating tool {tool_id}", exc) from None
        adopted = bool(getattr(old, "adopted", False))
        return self._outputs(new, {**live, "tool_id": tool_id}, adopted=adopted)

    def read(self, tool_id: str, old: ToolOutputs) -> ToolOutputs | None:
        try:
            live = self._client.get_tool(tool_id)
        except NotFound:
            return None
        except PalApiError as exc:
            raise failed("refresh", exc) from None
        spec = spec_from_live(live, old.spec)
        inputs = old.as_inputs().model_copy(update={"spec": spec})
        return self._outputs(inputs, {**live, "tool_id": tool_id}, adopted=old.adopted)

    def delete(self, tool_id: str, old: ToolOutputs) -> None:
        """Delete the tool; one palfleet adopted is kept while PALs outside the fleet use it.

        The fleet's own PALs are gone or detached by now (they depend on the tool, so the engine
        deletes or updates them first). An adopted tool nobody uses any more is deleted too: it
        may well be the leftover of palfleet's own interrupted create.
        """
        if old.adopted and self._users(tool_id) != []:
            return
        try:
            self._client.delete_tool_if_exists(tool_id)
        except PalApiError as exc:
            raise failed("delete", exc) from None

    def _users(self, tool_id: str) -> list[str] | None:
        """Ids of the user PALs that have the tool attached (None: cannot tell)."""
        try:
            users = []
            for pal in self._client.iter_pals(pal_type="user"):
                attached = pal.get("tool_ids")
                if not isinstance(attached, list):
                    return None
                if tool_id in attached:
                    users.append(str(pal.get("pal_id")))
            return users
        except PalApiError:
            return None

    # -- helpers ------------------------------------------------------------------------------

    def _find(self, name: str) -> dict[str, Any] | None:
        try:
            for tool in self._client.iter_tools(name_or_uuid=name):
                if tool.get("name") == name:
                    return tool
        except PalApiError as exc:
            raise failed(f"looking up tools named {name!r}", exc) from None
        return None

    def _get(self, tool_id: str) -> dict[str, Any]:
        try:
            return self._client.get_tool(tool_id)
        except NotFound:
            raise deleted_outside_pulumi("tool", tool_id) from None
        except PalApiError as exc:
            raise failed(f"reading tool {tool_id}", exc) from None

    def _adopt(self, live: dict[str, Any], inputs: ToolInputs, *, adopted: bool) -> ToolOutputs:
        differences = definition_differences(live, inputs.spec)
        tool_id = str(live["tool_id"])
        if differences:
            raise ReconcileError(
                f"a registry tool named {inputs.logical_name!r} already exists in the account "
                f"({tool_id}) with a different definition: {'; '.join(differences)}. Resolve it: "
                "rename the declared tool, or delete the live one (`palfleet tools audit` shows "
                "who uses it), or make the two definitions identical"
            )
        if secret_refs(inputs.spec):
            # Identical apart from secrets we cannot read back: make the stored ones ours.
            fields = merge_patch(live, inputs.body(), set(TOOL_AUTH_SECRET_KEYS))
            try:
                live = self._client.update_tool(tool_id, fields)
            except PalApiError as exc:
                raise failed(f"setting the secrets of tool {tool_id}", exc) from None
        return self._outputs(inputs, {**live, "tool_id": tool_id}, adopted=adopted)

    @staticmethod
    def _outputs(inputs: ToolInputs, document: dict[str, Any], *, adopted: bool) -> ToolOutputs:
        return ToolOutputs(
            **inputs.model_dump(),
            tool_id=str(document["tool_id"]),
            created_at=created_at_of(document),
            adopted=adopted,
        )
