"""What the guardrail and objective-set providers do against the API (pal-api.md section 8).

Neither kind has a unique name, so a create first looks for an *identical* live record of the
same name and adopts it (never a duplicate), and a create whose outcome is unknown is resolved
the same way before it is repeated. An update is one JSON Patch of the changed top-level
fields; a refresh reports drift field by field; a delete treats "already gone" as success and
keeps an adopted record that PALs outside the fleet still use.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from pal_provider.api import NotFound, OutcomeUnknown, PalApiError
from pal_provider.core.records import RecordKind, canonical_record, record_patch
from pal_provider.provider.failures import ReconcileError, deleted_outside_pulumi, failed
from pal_provider.provider.state import DeclaredInputs, created_at_of

if TYPE_CHECKING:
    from pal_provider.api import PalClient


class RecordOutputs(DeclaredInputs):
    """Inputs plus what the API assigned. ``adopted``: an identical record existed when
    palfleet first met it."""

    record_id: str
    created_at: str | None = None
    adopted: bool = False

    def as_inputs(self) -> DeclaredInputs:
        return DeclaredInputs.model_validate(
            self.model_dump(include=set(DeclaredInputs.model_fields))
        )


def spec_from_live(
    kind: RecordKind, live: dict[str, Any], declared: dict[str, Any]
) -> dict[str, Any]:
    """Refresh's new spec: the declaration when the live record matches it, else the live
    definition (the drift ``pulumi refresh`` shows)."""
    if canonical_record(kind, live) == canonical_record(kind, declared):
        return declared
    return {key: copy.deepcopy(live[key]) for key in kind.fields if live.get(key) is not None}


def _uses(kind: RecordKind, pal: dict[str, Any], record_id: str) -> bool:
    if kind.id_key == "objectives_id":
        return pal.get("objectives_id") == record_id
    ids = pal.get("guardrail_ids")
    return isinstance(ids, list) and record_id in ids


class RecordReconciler:
    def __init__(self, client: PalClient, kind: RecordKind) -> None:
        self._client = client
        self._kind = kind

    def create(self, inputs: DeclaredInputs) -> RecordOutputs:
        body = inputs.body()
        existing = self._identical(body)
        if existing is not None:
            return self._outputs(inputs, existing, adopted=True)
        try:
            created = self._client.create_record(self._kind, body)
        except OutcomeUnknown as exc:
            found = self._identical(body)
            if found is not None:  # the lost create made it
                return self._outputs(inputs, found, adopted=False)
            try:
                created = self._client.create_record(self._kind, body)
            except PalApiError as retry:
                raise ReconcileError(
                    f"create failed after an unknown outcome ({exc}): {retry}"
                ) from None
        except PalApiError as exc:
            raise failed("create", exc) from None
        return self._outputs(inputs, created, adopted=False)

    def update(self, record_id: str, old: RecordOutputs, new: DeclaredInputs) -> RecordOutputs:
        live = self._get(record_id)
        ops = record_patch(self._kind, live, new.body())
        if ops:
            try:
                live = self._client.patch_record(self._kind, record_id, ops) or live
            except PalApiError as exc:
                raise failed(f"updating {self._kind.kind} {record_id}", exc) from None
        return self._outputs(new, {**live, self._kind.id_key: record_id}, adopted=old.adopted)

    def read(self, record_id: str, old: RecordOutputs) -> RecordOutputs | None:
        try:
            live = self._client.get_record(self._kind, record_id)
        except NotFound:
            return None
        except PalApiError as exc:
            raise failed("refresh", exc) from None
        spec = spec_from_live(self._kind, live, old.spec)
        inputs = old.as_inputs().model_copy(update={"spec": spec})
        return self._outputs(inputs, {**live, self._kind.id_key: record_id}, adopted=old.adopted)

    def delete(self, record_id: str, old: RecordOutputs) -> None:
        if old.adopted and self._users(record_id) != []:
            return
        try:
            self._client.delete_record_if_exists(self._kind, record_id)
        except PalApiError as exc:
            raise failed("delete", exc) from None

    # -- helpers ------------------------------------------------------------------------------

    def _identical(self, body: dict[str, Any]) -> dict[str, Any] | None:
        name = body.get(self._kind.name_key)
        wanted = canonical_record(self._kind, body)
        try:
            for record in self._client.iter_records(self._kind, name=str(name)):
                if canonical_record(self._kind, record) == wanted:
                    return record
        except PalApiError as exc:
            raise failed(f"looking up {self._kind.kind} records named {name!r}", exc) from None
        return None

    def _get(self, record_id: str) -> dict[str, Any]:
        try:
            return self._client.get_record(self._kind, record_id)
        except NotFound:
            raise deleted_outside_pulumi(self._kind.kind, record_id) from None
        except PalApiError as exc:
            raise failed(f"reading {self._kind.kind} {record_id}", exc) from None

    def _users(self, record_id: str) -> list[str] | None:
        try:
            return [
                str(pal.get("pal_id"))
                for pal in self._client.iter_pals(pal_type="user")
                if _uses(self._kind, pal, record_id)
            ]
        except PalApiError:
            return None

    def _outputs(
        self, inputs: DeclaredInputs, document: dict[str, Any], *, adopted: bool
    ) -> RecordOutputs:
        return RecordOutputs(
            **inputs.model_dump(),
            record_id=str(document[self._kind.id_key]),
            created_at=created_at_of(document),
            adopted=adopted,
        )
