"""PALs left behind by an interrupted create, found before a create can duplicate them.

The API has no idempotency key. When ``pulumi up`` is killed after a POST committed but before
the engine wrote the new id to state (or a create's outcome stayed unknown and the lookup
failed), the PAL exists and Pulumi does not know it. The next create would post a duplicate.

So, before posting, the provider looks for a *leftover*: a user PAL with the same ``pal_name``
and the same declared content (secrets aside: the API masks them), that no resource of this
provider process has already taken. One exists -> adopt it (patch its secrets, record it).
Same name, other content -> never adopted silently: the create goes ahead with a warning that
names it and says how to adopt it on purpose (``bindings.adopt_ids``).

The account is listed once per provider process (a paged ``GET /pals``), at its first create,
not once per PAL: a leftover predates the run, so a snapshot taken before the run's first POST
sees every one. Ids this process creates or adopts are *claimed*, so two resources never take
the same PAL. Two PALs of one stack with the same name and content cannot be told apart by
anyone; ``palfleet validate`` refuses them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pal_provider.api import PalClient


@dataclass
class _Account:
    listing: list[dict[str, Any]] | None = None
    claimed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


_ACCOUNTS: dict[int, _Account] = {}
_REGISTRY_LOCK = threading.Lock()


def _account(client: PalClient) -> _Account:
    # Clients are pooled per (base URL, key) for the life of the process, so the client is
    # the account's identity here.
    with _REGISTRY_LOCK:
        return _ACCOUNTS.setdefault(id(client), _Account())


@dataclass(frozen=True)
class LeftoverSearch:
    """What the account holds under the declared name: the leftover to adopt (if any), other
    identical copies (duplicates of earlier runs), and same-named PALs with other content."""

    leftover: dict[str, Any] | None
    duplicates: list[str]
    namesakes: list[str]


def claim(client: PalClient, pal_id: str) -> None:
    """Mark ``pal_id`` as taken by a resource of this run."""
    account = _account(client)
    with account.lock:
        account.claimed.add(pal_id)


def is_claimed(client: PalClient, pal_id: str) -> bool:
    account = _account(client)
    with account.lock:
        return pal_id in account.claimed


def find_leftover(client: PalClient, name: Any, matches: Any) -> LeftoverSearch:
    """Search the process's one listing of user PALs; claim and return the leftover.

    ``matches(live_pal) -> bool`` says whether a live PAL has the declared content. Raises
    :class:`PalApiError` when the listing fails (the caller must not create blindly then).
    """
    account = _account(client)
    with account.lock:
        if account.listing is None:
            account.listing = list(client.iter_pals(pal_type="user"))
        named = [
            pal
            for pal in account.listing
            if pal.get("pal_name") == name and str(pal.get("pal_id")) not in account.claimed
        ]
        identical = sorted(
            (pal for pal in named if matches(pal)), key=lambda pal: str(pal.get("created_at"))
        )
        namesakes = sorted(str(pal.get("pal_id")) for pal in named if not matches(pal))
        if not identical:
            return LeftoverSearch(None, [], namesakes)
        leftover = identical[0]
        account.claimed.add(str(leftover["pal_id"]))
        duplicates = [str(pal.get("pal_id")) for pal in identical[1:]]
        return LeftoverSearch(leftover, duplicates, namesakes)


__all__ = ["LeftoverSearch", "claim", "find_leftover", "is_claimed"]
