"""Reading the live account for plan, drift and export: list pages, then attached tools.

Every read goes through :class:`pal_provider.api.PalClient` (retries, deadlines, redaction).
PALs and registry tools are read page by page (``limit`` 100, so ``ceil(N/100)`` requests);
the attached tools of the PALs that need them (``GET /pals/{id}/tools``) are read
concurrently by a bounded thread pool. Stock (system) PALs are never read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pal_provider.api import PalClient
from pal_provider.core.records import RecordKind

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32
PAGE_LIMIT = 100


@dataclass(frozen=True)
class LiveAccount:
    """What the account holds: user PALs by id, user registry tools by name, attachments.

    ``attached`` has an entry (tool documents) for every PAL whose attachments were read.
    """

    pals: dict[str, dict[str, Any]]
    tools: dict[str, dict[str, Any]]
    attached: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # face id -> face name, where the API lists faces (export names face bindings after them)
    face_names: dict[str, str] = field(default_factory=dict)
    # the account's guardrails and objective sets (pal-api.md section 8)
    guardrails: list[dict[str, Any]] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    # document id -> document name (export names document bindings after them)
    document_names: dict[str, str] = field(default_factory=dict)


def check_concurrency(value: int) -> int:
    if not 1 <= value <= MAX_CONCURRENCY:
        raise ValueError(
            f"--concurrency must be between 1 and {MAX_CONCURRENCY} (got {value}); "
            f"the default is {DEFAULT_CONCURRENCY}"
        )
    return value


def may_carry_tools(pal: dict[str, Any]) -> bool:
    """True when a live PAL has (or may have) attached registry tools.

    The emulator echoes ``tool_ids`` in PAL documents; a server that leaves the field out
    gives no answer, so such a PAL is read too rather than assumed bare.
    """
    tool_ids = pal.get("tool_ids")
    return tool_ids is None or bool(tool_ids)


class Progress:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        if not self.enabled:
            yield lambda _n: None
            return
        from rich.console import Console
        from rich.progress import Progress as RichProgress

        with RichProgress(console=Console(stderr=True), transient=True) as bar:
            task_id = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task_id, n)


def read_pals(
    client: PalClient, progress: Progress, concurrency: int = DEFAULT_CONCURRENCY
) -> dict[str, dict[str, Any]]:
    """Every user PAL: page 1, then the other pages ``concurrency`` at a time."""
    pals: dict[str, dict[str, Any]] = {}
    with progress.task("reading PALs", None) as advance:
        for pal in client.all_pals(pal_type="user", limit=PAGE_LIMIT, concurrency=concurrency):
            if pal.get("pal_type", "user") != "user":
                continue
            pals[str(pal["pal_id"])] = pal
            advance(1)
    return pals


def read_records(client: PalClient, kind: RecordKind) -> list[dict[str, Any]]:
    """Every guardrail or objective set of the account."""
    return list(client.iter_records(kind, limit=PAGE_LIMIT))


def read_tools(client: PalClient) -> dict[str, dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for tool in client.iter_tools(type="user", limit=PAGE_LIMIT):
        if tool.get("is_system_tool"):
            continue
        tools[str(tool.get("name"))] = tool
    return tools


def read_attached(
    client: PalClient,
    pal_ids: Iterable[str],
    *,
    concurrency: int,
    progress: Progress,
    pals: dict[str, dict[str, Any]] | None = None,
    tools: dict[str, dict[str, Any]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The registry tools attached to each PAL of ``pal_ids``.

    A listed PAL that carries ``tool_ids`` naming only tools of the ``tools`` listing needs no
    request; any other is read with ``GET /pals/{id}/tools``, at most ``concurrency`` at a time.
    """
    by_id = {str(tool.get("tool_id")): tool for tool in (tools or {}).values()}
    out: dict[str, list[dict[str, Any]]] = {}
    ids: list[str] = []
    for pal_id in sorted(set(pal_ids)):
        listed = (pals or {}).get(pal_id, {}).get("tool_ids")
        if isinstance(listed, list) and all(str(t) in by_id for t in listed):
            out[pal_id] = [by_id[str(t)] for t in listed]
        else:
            ids.append(pal_id)
    if not ids:
        return out
    with (
        progress.task("reading attached tools", len(ids)) as advance,
        ThreadPoolExecutor(max_workers=min(concurrency, len(ids))) as pool,
    ):
        for pal_id, attached in zip(ids, pool.map(client.list_attached_tools, ids), strict=True):
            out[pal_id] = attached
            advance(1)
    return out
