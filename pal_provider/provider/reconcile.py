"""What the PAL provider does against the API, kept apart from the Pulumi protocol glue.

Every remote write here is either a single POST or a single atomic JSON Patch (plus a
separate conferencing-only patch, as the contract requires), so a failure mid-run leaves
the PAL as it was or as declared, and a re-run converges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi.log import warn

from pal_provider.api import (
    InvalidPatch,
    MakerDraftConflict,
    NotFound,
    OutcomeUnknown,
    PalApiError,
    ValidationFailed,
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
    guarded_patch,
    patch_for,
)
from pal_provider.core.jsonvalue import from_pointer
from pal_provider.core.masking import MASK, replace_secret_refs, secret_ref, secret_refs
from pal_provider.declaration import validate_pal_body
from pal_provider.provider.connection import client_for
from pal_provider.provider.failures import ReconcileError, deleted_outside_pulumi, failed
from pal_provider.provider.leftovers import claim, find_leftover, is_claimed
from pal_provider.provider.settings import MissingCredentials, ProviderSettings
from pal_provider.provider.state import PalInputs, PalOutputs, created_at_of
from pal_provider.provider.unknowns import Path as UnknownPath
from pal_provider.provider.unknowns import path_of, touches

if TYPE_CHECKING:
    from pal_provider.api import PalClient

# POSTs with an unknown outcome, each looked up without finding the PAL, before giving up.
MAX_CREATE_ATTEMPTS = 3
# A create whose response was lost is matched against PALs created this long before it was sent.
CLOCK_SKEW = dt.timedelta(minutes=2)
CONFERENCING_PREFIX = "/layers/conferencing"


def _masked_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every secret marker replaced by the API's mask: comparable, secret-free."""
    masked = replace_secret_refs(spec, lambda _pointer, _key: MASK)
    assert isinstance(masked, dict)
    return masked


def changed_secret_refs(old: PalInputs | None, new: PalInputs) -> list[str]:
    """Secrets whose declared value differs from what was last applied (all of them when unknown)."""
    declared = secret_refs(new.spec)
    if old is None:
        return sorted(declared)
    previous = secret_refs(old.spec)
    return sorted(
        pointer
        for pointer in declared
        if pointer not in previous or old.secrets.get(pointer) != new.secrets.get(pointer)
    )


@dataclass(frozen=True)
class Written:
    """What a write left: the resource's outputs, and the PAL document the API answered with
    (it carries ``tool_ids``, so the caller needs no read to check the attachments)."""

    outputs: PalOutputs
    document: dict[str, Any]


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
            client = client_for(inputs.settings, settings)
        except MissingCredentials as exc:
            raise ReconcileError(str(exc)) from None
        force = inputs.settings.force_maker_overwrite or settings.force_maker_overwrite()
        return cls(client, force=force)

    # -- pure decisions ---------------------------------------------------------------------

    @staticmethod
    def check_spec(inputs: PalInputs, unknown: Sequence[UnknownPath] = ()) -> list[tuple[str, str]]:
        """Errors in the known part of the spec, and secret references with no value."""
        problems = [
            (finding.path, f"{finding.message} ({finding.fix})" if finding.fix else finding.message)
            for finding in validate_pal_body(_masked_spec(inputs.spec))
            if finding.severity == "error"
            and not touches(("spec", *path_of(finding.path)), unknown)
        ]
        for pointer in inputs.missing_secrets(unknown):
            dotted = ".".join(from_pointer(pointer))
            problems.append(
                (dotted, "secret reference has no value: set it with `pulumi config set --secret`")
            )
        return problems

    @staticmethod
    def declared_changes(old: PalInputs, new: PalInputs) -> ChangeSet:
        return diff_documents(
            canonicalize(_masked_spec(old.spec), live=False),
            canonicalize(_masked_spec(new.spec), live=False),
            changed_secrets=[from_pointer(p) for p in changed_secret_refs(old, new)],
        )

    # -- operations -------------------------------------------------------------------------

    def create_pal(self, inputs: PalInputs) -> Written:
        """Adopt (``adopt_id``, or a leftover of an interrupted create), else POST; the outputs
        and the PAL document the API answered with.

        A POST whose outcome is unknown is resolved by looking the PAL up, never by repeating
        it blindly: only when the lookup shows it did not land is it sent again.
        """
        adopt_id = inputs.settings.adopt_id
        if adopt_id:
            claim(self._client, adopt_id)
            return self._adopt(adopt_id, inputs, reason="adopt_id")
        leftover = self._leftover(inputs)
        if leftover is not None:
            # None: deleted since the listing, so nothing is left over after all.
            live = self.find_live(leftover, doing=f"reading PAL {leftover} to adopt it")
            if live is not None:
                return self._take_over(leftover, live, inputs)
        for _attempt in range(MAX_CREATE_ATTEMPTS):
            try:
                created = self._client.create_pal(inputs.body())
            except OutcomeUnknown as exc:
                landed = self._find_created(inputs, exc)
                if landed is not None:
                    return self._adopt(landed, inputs, reason="recovered PAL")
                continue
            except ValidationFailed as exc:
                holder = self._username_holder(inputs, exc)
                if holder is None:
                    raise failed("create", exc) from None
                return self._adopt(holder, inputs, reason="PAL holding the username")
            except PalApiError as exc:
                raise failed("create", exc) from None
            claim(self._client, str(created["pal_id"]))
            return Written(self._outputs(inputs, created), created)
        raise ReconcileError(
            f"the outcome of {MAX_CREATE_ATTEMPTS} create requests stayed unknown, and looking "
            "the PAL up after each showed none of them landed; nothing was created. Re-run "
            "`pulumi up`"
        )

    def update(
        self, pal_id: str, old: PalInputs, new: PalInputs, *, live: dict[str, Any] | None = None
    ) -> PalOutputs:
        """Patch the PAL to ``new``; ``live`` is the PAL as just read, when the caller has it.

        Without ``live``: one guarded PATCH computed from the stored ``old`` (see
        :func:`~pal_provider.core.patch.guarded_patch`); when the server refuses a guard
        (the PAL changed outside palfleet) or the outcome is unknown, read and patch again.
        """
        secrets = self._secret_paths(old, new)
        if live is None:
            document = self._guarded_update(pal_id, old, new, secrets)
            if document is not None:
                return self._outputs(new, {**document, "pal_id": pal_id})
            live = self.get_live(pal_id)
        patch = patch_for(live, new.body(), changed_secrets=secrets)
        document = self._apply(pal_id, patch) or live
        return self._outputs(new, {**document, "pal_id": pal_id})

    def _guarded_update(
        self, pal_id: str, old: PalInputs, new: PalInputs, secrets: list[tuple[str, ...]]
    ) -> dict[str, Any] | None:
        """The PAL after one guarded PATCH, or None when the caller must read it first."""
        patch = guarded_patch(_masked_spec(old.spec), new.body(), changed_secrets=secrets)
        if patch is None or patch.empty:
            return None
        try:
            return self._apply(pal_id, patch, guarded=True)
        except _StaleGuard:
            return None

    def find_live(self, pal_id: str, *, doing: str = "refresh") -> dict[str, Any] | None:
        """The live PAL, or None when it is gone (refresh reports it deleted)."""
        try:
            return self._client.get_pal(pal_id)
        except NotFound:
            return None
        except PalApiError as exc:
            raise failed(doing, exc) from None

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
        """Delete the PAL; one already gone counts as deleted."""
        try:
            self._client.delete_pal_if_exists(pal_id)
        except PalApiError as exc:
            raise failed("delete", exc) from None

    # -- helpers ------------------------------------------------------------------------------

    def _secret_paths(self, old: PalInputs | None, new: PalInputs) -> list[tuple[str, ...]]:
        return [from_pointer(p) for p in changed_secret_refs(old, new)]

    def get_live(self, pal_id: str) -> dict[str, Any]:
        try:
            return self._client.get_pal(pal_id)
        except NotFound:
            raise deleted_outside_pulumi("PAL", pal_id) from None
        except PalApiError as exc:
            raise failed(f"reading PAL {pal_id}", exc) from None

    def _adopt(self, pal_id: str, inputs: PalInputs, *, reason: str) -> Written:
        try:
            live = self._client.get_pal(pal_id)
        except NotFound:
            raise ReconcileError(
                f"{reason} {pal_id} does not exist in this account: fix the id, or remove "
                "adopt_id to create a new PAL"
            ) from None
        except PalApiError as exc:
            raise failed(f"reading PAL {pal_id} to adopt it", exc) from None
        return self._take_over(pal_id, live, inputs)

    def _take_over(self, pal_id: str, live: dict[str, Any], inputs: PalInputs) -> Written:
        """Make an existing PAL this resource's: patch it to the declaration, secrets included
        (their live values cannot be read back, so they are always sent)."""
        patch = patch_for(live, inputs.body(), changed_secrets=self._secret_paths(None, inputs))
        document = {**(self._apply(pal_id, patch) or live), "pal_id": pal_id}
        return Written(self._outputs(inputs, document), document)

    def _apply(
        self, pal_id: str, patch: JsonPatch, *, guarded: bool = False
    ) -> dict[str, Any] | None:
        """Send the patch: conferencing ops alone (never 409) and the rest in one atomic PATCH
        (a ``test`` travels with the operation it guards)."""
        conferencing = [op for op in patch if op.path.startswith(CONFERENCING_PREFIX)]
        other = [op for op in patch if not op.path.startswith(CONFERENCING_PREFIX)]
        document: dict[str, Any] | None = None
        for ops in (other, conferencing):
            if ops:
                document = self._send(pal_id, ops, guarded=guarded) or document
        return document

    def _send(
        self, pal_id: str, ops: Sequence[PatchOp], *, guarded: bool = False
    ) -> dict[str, Any] | None:
        try:
            result = self._client.patch_pal(pal_id, JsonPatch(ops).to_json(), force=self._force)
        except (InvalidPatch, OutcomeUnknown, NotFound) as exc:
            if guarded:  # the read that follows says what happened (a PAL gone: deleted)
                raise _StaleGuard from exc
            raise failed(f"updating PAL {pal_id}", exc) from None
        except MakerDraftConflict:
            raise ReconcileError(
                f"PAL {pal_id} has unpublished edits made by a human in PAL Maker, so the API "
                "refused the update (409). Publish or discard the draft in PAL Maker, or "
                "overwrite it deliberately: set `force_maker_overwrite: true` on this PAL in "
                "the fleet declaration, or `pulumi config set palfleet:forceMakerOverwrite true` "
                "for the whole stack"
            ) from None
        except PalApiError as exc:
            raise failed(f"updating PAL {pal_id}", exc) from None
        return result.document

    def _leftover(self, inputs: PalInputs) -> str | None:
        """The id of a PAL an interrupted create left behind, claimed for this resource."""
        name = inputs.spec.get("pal_name")
        try:
            search = find_leftover(self._client, name, lambda pal: _matches(pal, inputs))
        except PalApiError as exc:
            raise ReconcileError(
                f"create failed before anything was sent: listing the account's PALs (to find "
                f"one an interrupted run left behind) failed: {exc}"
            ) from None
        subject = f"PAL {inputs.logical_name!r}"
        if search.leftover is not None:
            pal_id = str(search.leftover["pal_id"])
            warn(
                f"{subject}: adopting {pal_id}, an identical PAL named {name!r} that an "
                "interrupted run created but did not record, instead of creating a duplicate"
            )
            if search.duplicates:
                warn(
                    f"{subject}: the account holds more identical copies named {name!r} "
                    f"({', '.join(search.duplicates)}), probably from earlier interrupted runs; "
                    "delete them if nothing else uses them"
                )
            return pal_id
        if search.namesakes:
            warn(
                f"{subject}: the account already has PAL(s) named {name!r} with other content "
                f"({', '.join(search.namesakes)}); creating a new one. If one of them is this "
                f"PAL, adopt it instead: set `bindings.adopt_ids: {{{inputs.logical_name}: <id>}}` "
                "in the stack's fleet.yaml"
            )
        return None

    def _find_created(self, inputs: PalInputs, exc: OutcomeUnknown) -> str | None:
        """After a POST with an unknown outcome: the id of the PAL it created, claimed; None
        when it did not land."""
        name = inputs.spec.get("pal_name")
        since = (exc.sent_at or dt.datetime.now(dt.UTC)) - CLOCK_SKEW
        try:
            candidates = [
                pal
                for pal in self._client.iter_pals(pal_type="user")
                if pal.get("pal_name") == name
                and _created_after(pal, since)
                and not is_claimed(self._client, str(pal.get("pal_id")))
            ]
        except PalApiError as lookup_error:
            raise ReconcileError(
                f"the create request's outcome is unknown ({exc}) and looking the PAL up failed "
                f"({lookup_error}); re-run `pulumi up`: it adopts the PAL if the request landed"
            ) from None
        matching = sorted(str(pal["pal_id"]) for pal in candidates if _matches(pal, inputs))
        if len(matching) > 1:
            raise ReconcileError(
                f"the create request's outcome is unknown and {len(matching)} identical PALs "
                f"named {name!r} were created since it was sent ({', '.join(matching)}); cannot "
                "tell which one is ours. Set `bindings.adopt_ids` to the right one and delete "
                "the others"
            )
        if not matching:
            return None  # others with that name are someone else's; ours did not land
        claim(self._client, matching[0])
        return matching[0]

    def _username_holder(self, inputs: PalInputs, exc: ValidationFailed) -> str | None:
        """When the create was refused because the conferencing username is taken: the PAL
        holding it, if it is this PAL's own leftover (same name, not claimed); else None, or an
        error that names the holder and the fix."""
        username = _conferencing_username(inputs.spec)
        if username is None or "already taken" not in str(exc.detail or exc):
            return None
        try:
            holders = [
                pal
                for pal in self._client.iter_pals(pal_type="user")
                if _conferencing_username(pal) == username
            ]
        except PalApiError:
            return None
        name = inputs.spec.get("pal_name")
        for holder in holders:
            pal_id = str(holder.get("pal_id"))
            if holder.get("pal_name") == name and not is_claimed(self._client, pal_id):
                claim(self._client, pal_id)
                warn(
                    f"PAL {inputs.logical_name!r}: adopting {pal_id}, a PAL named {name!r} that "
                    f"holds this PAL's conferencing username {username!r} (left by an interrupted "
                    "run); it is patched to the declaration"
                )
                return pal_id
        owners = ", ".join(f"{h.get('pal_id')} ({h.get('pal_name')!r})" for h in holders)
        raise ReconcileError(
            f"create failed: the conferencing username {username!r} is taken"
            + (f" by {owners}" if owners else "")
            + ". Choose another `layers.conferencing.username`, or adopt that PAL with "
            f"`bindings.adopt_ids: {{{inputs.logical_name}: <id>}}`"
        )

    @staticmethod
    def _outputs(inputs: PalInputs, document: dict[str, Any]) -> PalOutputs:
        return PalOutputs(
            **inputs.model_dump(),
            pal_id=str(document["pal_id"]),
            created_at=created_at_of(document),
        )


class _StaleGuard(Exception):
    """A guarded PATCH was refused (the PAL is not what palfleet stored) or its outcome is
    unknown: read the PAL and patch again."""


def _conferencing_username(document: dict[str, Any]) -> str | None:
    conferencing = (document.get("layers") or {}).get("conferencing") or {}
    username = conferencing.get("username") if isinstance(conferencing, dict) else None
    return username.lower() if isinstance(username, str) else None


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
    for pointer, config_key in secret_refs(declared_spec).items():
        tokens = from_pointer(pointer)
        parent: Any = refreshed
        for token in tokens[:-1]:
            parent = parent.get(token) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and parent.get(tokens[-1]) == MASK:
            parent[tokens[-1]] = secret_ref(config_key)
    return refreshed
