"""What the PAL provider does against the API, kept apart from the Pulumi protocol glue.

Every remote write here is either a single POST or a single atomic JSON Patch (plus a
separate conferencing-only patch, as the contract requires), so a failure mid-run leaves
the PAL as it was or as declared, and a re-run converges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pal_provider.api import (
    MakerDraftConflict,
    NotFound,
    OutcomeUnknown,
    PalApiError,
    PalClient,
    parse_timestamp,
)
from pal_provider.core import (
    ChangeSet,
    JsonPatch,
    PatchOp,
    apply_changes,
    canonicalize,
    comparable_current,
    diff_documents,
    patch_for,
)
from pal_provider.declaration import validate_pal_body
from pal_provider.provider.connection import client_for
from pal_provider.provider.settings import MissingCredentials, ProviderSettings
from pal_provider.provider.state import (
    SECRET_MARKER,
    PalInputs,
    PalOutputs,
    secret_pointers,
    with_secrets,
)

MASK = "********"
# A create whose response was lost is matched against PALs created this long before it was sent.
CLOCK_SKEW = dt.timedelta(minutes=2)
CONFERENCING_PREFIX = "/layers/conferencing"


class ReconcileError(Exception):
    """A failure the user can act on; its message is shown by ``pulumi up`` and holds no secret."""


def _pointer_tuple(pointer: str) -> tuple[str, ...]:
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/"))


def _masked_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every secret marker replaced by the API's mask: comparable, secret-free."""
    return with_secrets(spec, dict.fromkeys(secret_pointers(spec), MASK))


def changed_secret_pointers(old: PalInputs | None, new: PalInputs) -> list[str]:
    """Secrets whose declared value differs from what was last applied (all of them when unknown)."""
    declared = secret_pointers(new.spec)
    if old is None:
        return sorted(declared)
    previous = secret_pointers(old.spec)
    return sorted(
        pointer
        for pointer in declared
        if pointer not in previous or old.secrets.get(pointer) != new.secrets.get(pointer)
    )


class PalReconciler:
    def __init__(self, client: PalClient, *, force: bool) -> None:
        self._client = client
        self._force = force

    @property
    def client(self) -> PalClient:
        return self._client

    @classmethod
    def for_inputs(cls, inputs: PalInputs, settings: ProviderSettings) -> PalReconciler:
        try:
            client = client_for(inputs.api_base_url, inputs.api_key_config, settings)
        except MissingCredentials as exc:
            raise ReconcileError(str(exc)) from None
        force = inputs.force_maker_overwrite or settings.force_maker_overwrite()
        return cls(client, force=force)

    # -- pure decisions ---------------------------------------------------------------------

    @staticmethod
    def check_spec(inputs: PalInputs) -> list[tuple[str, str]]:
        problems = [
            (finding.path, f"{finding.message} ({finding.fix})" if finding.fix else finding.message)
            for finding in validate_pal_body(_masked_spec(inputs.spec))
            if finding.severity == "error"
        ]
        for pointer in inputs.missing_secrets():
            dotted = ".".join(_pointer_tuple(pointer))
            problems.append(
                (dotted, "secret reference has no value: set it with `pulumi config set --secret`")
            )
        return problems

    @staticmethod
    def declared_changes(old: PalInputs, new: PalInputs) -> ChangeSet:
        return diff_documents(
            canonicalize(_masked_spec(old.spec), live=False),
            canonicalize(_masked_spec(new.spec), live=False),
            changed_secrets=[_pointer_tuple(p) for p in changed_secret_pointers(old, new)],
        )

    # -- operations -------------------------------------------------------------------------

    def create(self, inputs: PalInputs) -> PalOutputs:
        if inputs.adopt_id:
            return self._adopt(inputs.adopt_id, inputs, reason="adopt_id")
        try:
            created = self._client.create_pal(inputs.body())
        except OutcomeUnknown as exc:
            return self._resolve_unknown_create(inputs, exc)
        except PalApiError as exc:
            raise ReconcileError(f"create failed: {exc}") from None
        return self._outputs(inputs, created)

    def update(
        self, pal_id: str, old: PalInputs, new: PalInputs, *, live: dict[str, Any] | None = None
    ) -> PalOutputs:
        """Patch the PAL to ``new``; ``live`` is the PAL as just read, when the caller has it."""
        live = live if live is not None else self.get_live(pal_id)
        patch = patch_for(live, new.body(), changed_secrets=self._secret_paths(old, new))
        document = self._apply(pal_id, patch) or live
        return self._outputs(new, {**document, "pal_id": pal_id})

    def find_live(self, pal_id: str) -> dict[str, Any] | None:
        """The live PAL, or None when it is gone (refresh reports it deleted)."""
        try:
            return self._client.get_pal(pal_id)
        except NotFound:
            return None
        except PalApiError as exc:
            raise ReconcileError(f"refresh failed: {exc}") from None

    def read(
        self, pal_id: str, old: PalOutputs, *, live: dict[str, Any] | None = None
    ) -> PalOutputs | None:
        """Refreshed outputs from the live PAL (``live`` when the caller already read it)."""
        live = live if live is not None else self.find_live(pal_id)
        if live is None:
            return None
        spec = spec_from_live(live, old.spec)
        inputs = old.as_inputs().model_copy(update={"spec": spec})
        return self._outputs(inputs, {**live, "pal_id": pal_id})

    def delete(self, pal_id: str) -> None:
        try:
            self._client.delete_pal(pal_id)
        except NotFound:
            return
        except PalApiError as exc:
            raise ReconcileError(f"delete failed: {exc}") from None

    # -- helpers ------------------------------------------------------------------------------

    def _secret_paths(self, old: PalInputs | None, new: PalInputs) -> list[tuple[str, ...]]:
        return [_pointer_tuple(p) for p in changed_secret_pointers(old, new)]

    def get_live(self, pal_id: str) -> dict[str, Any]:
        try:
            return self._client.get_pal(pal_id)
        except NotFound:
            raise ReconcileError(
                f"PAL {pal_id} no longer exists (deleted outside Pulumi): run `pulumi refresh`, "
                "then `pulumi up` recreates it"
            ) from None
        except PalApiError as exc:
            raise ReconcileError(f"reading PAL {pal_id} failed: {exc}") from None

    def _adopt(self, pal_id: str, inputs: PalInputs, *, reason: str) -> PalOutputs:
        try:
            live = self._client.get_pal(pal_id)
        except NotFound:
            raise ReconcileError(
                f"{reason} {pal_id} does not exist in this account: fix the id, or remove "
                "adopt_id to create a new PAL"
            ) from None
        except PalApiError as exc:
            raise ReconcileError(f"reading PAL {pal_id} to adopt it failed: {exc}") from None
        patch = patch_for(live, inputs.body(), changed_secrets=self._secret_paths(None, inputs))
        document = self._apply(pal_id, patch) or live
        return self._outputs(inputs, {**document, "pal_id": pal_id})

    def _apply(self, pal_id: str, patch: JsonPatch) -> dict[str, Any] | None:
        """Send the patch: conferencing ops alone (never 409) and the rest in one atomic PATCH."""
        conferencing = [op for op in patch if op.path.startswith(CONFERENCING_PREFIX)]
        other = [op for op in patch if not op.path.startswith(CONFERENCING_PREFIX)]
        document: dict[str, Any] | None = None
        for ops in (other, conferencing):
            if ops:
                document = self._send(pal_id, ops) or document
        return document

    def _send(self, pal_id: str, ops: Sequence[PatchOp]) -> dict[str, Any] | None:
        try:
            result = self._client.patch_pal(pal_id, JsonPatch(ops).to_json(), force=self._force)
        except MakerDraftConflict:
            raise ReconcileError(
                f"PAL {pal_id} has unpublished edits made by a human in PAL Maker, so the API "
                "refused the update (409). Publish or discard the draft in PAL Maker, or "
                "overwrite it deliberately: set `force_maker_overwrite: true` on this PAL in "
                "the fleet declaration, or `pulumi config set palfleet:forceMakerOverwrite true` "
                "for the whole stack"
            ) from None
        except PalApiError as exc:
            raise ReconcileError(f"updating PAL {pal_id} failed: {exc}") from None
        return result.document

    def _resolve_unknown_create(self, inputs: PalInputs, exc: OutcomeUnknown) -> PalOutputs:
        """The POST may or may not have created the PAL: look it up instead of repeating it."""
        name = inputs.spec.get("pal_name")
        since = (exc.sent_at or dt.datetime.now(dt.UTC)) - CLOCK_SKEW
        try:
            candidates = [
                pal
                for pal in self._client.iter_pals(pal_type="user")
                if pal.get("pal_name") == name and _created_after(pal, since)
            ]
        except PalApiError as lookup_error:
            raise ReconcileError(
                f"the create request's outcome is unknown ({exc}) and looking the PAL up failed "
                f"({lookup_error}); re-run `pulumi up` (it looks again before creating)"
            ) from None
        matching = [pal for pal in candidates if _matches(pal, inputs)]
        if len(matching) == 1:
            return self._adopt(str(matching[0]["pal_id"]), inputs, reason="recovered PAL")
        if not candidates:
            # Nothing with that name appeared since we sent: the request never landed.
            try:
                created = self._client.create_pal(inputs.body())
            except PalApiError as retry_error:
                raise ReconcileError(
                    f"create failed after an unknown outcome: {retry_error}"
                ) from None
            return self._outputs(inputs, created)
        ids = ", ".join(sorted(str(pal.get("pal_id")) for pal in candidates))
        raise ReconcileError(
            f"the create request's outcome is unknown and {len(candidates)} PAL(s) named "
            f"{name!r} were created since it was sent ({ids}); cannot tell which one is ours. "
            "Set adopt_id to the right one in the fleet declaration and delete the others"
        )

    @staticmethod
    def _outputs(inputs: PalInputs, document: dict[str, Any]) -> PalOutputs:
        return PalOutputs(
            **inputs.model_dump(),
            pal_id=str(document["pal_id"]),
            created_at=_text(document.get("created_at")),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _created_after(pal: dict[str, Any], since: dt.datetime) -> bool:
    created = pal.get("created_at")
    if not created:
        return True  # unknown creation time: keep it as a candidate rather than guess
    try:
        return parse_timestamp(str(created)) >= since
    except ValueError:
        return True


def _matches(live: dict[str, Any], inputs: PalInputs) -> bool:
    desired = canonicalize(_masked_spec(inputs.spec), live=False)
    return diff_documents(canonicalize(live, live=True), desired).empty


def spec_from_live(live: dict[str, Any], declared_spec: dict[str, Any]) -> dict[str, Any]:
    """The stored declaration updated with what really differs live (refresh's new inputs).

    Only canonical differences are carried over, so a PAL that matches keeps its spec byte
    for byte and refresh stays empty. The API masks secrets: a masked value keeps the
    declared reference (we cannot know it changed); a secret that disappeared live
    disappears here too, so the next diff puts it back.
    """
    masked = _masked_spec(declared_spec)
    declared = canonicalize(masked, live=False)
    # Fields the server decides when the declaration is silent (model, tool_ids, ...) are
    # not drift; comparable_current leaves them out of the live view.
    live_view = comparable_current(canonicalize(live, live=True), declared)
    changes = diff_documents(declared, live_view)
    if changes.empty:
        return declared_spec
    refreshed = apply_changes(masked, changes)
    assert isinstance(refreshed, dict)
    for pointer, config_key in secret_pointers(declared_spec).items():
        tokens = _pointer_tuple(pointer)
        parent: Any = refreshed
        for token in tokens[:-1]:
            parent = parent.get(token) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and parent.get(tokens[-1]) == MASK:
            parent[tokens[-1]] = {SECRET_MARKER: config_key}
    return refreshed
