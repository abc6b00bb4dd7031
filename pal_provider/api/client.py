"""The typed endpoint surface of the PAL API (``/pals`` and the tools registry).

Each method says what to send and whether repeating it is safe; :mod:`._http` decides how.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from pal_provider.api import errors
from pal_provider.api._http import (
    ApiRequest,
    ApiResponse,
    Clock,
    HttpEngine,
    RetryPolicy,
    SystemClock,
    build_httpx_client,
)
from pal_provider.api._redact import fingerprint
from pal_provider.api._transport import insecure_transport
from pal_provider.api.wire import (
    Page,
    WireFormatError,
    is_short_create_response,
    read_pal,
    read_pal_page,
    read_record,
    read_tool,
    read_tool_page,
    unwrap_list,
)
from pal_provider.core.records import RecordKind


@dataclass(frozen=True)
class PatchResult:
    """Outcome of a JSON Patch on a PAL.

    ``changed`` is False only for a first-attempt ``304`` (the PAL already matched). A ``304``
    that answers a *retry* of a patch whose first attempt may have been applied counts as
    changed: the reconciler only sends non-empty patches, so the earlier attempt did it.
    ``document`` is the updated PAL when the server returned it (None for ``304``).
    """

    changed: bool
    document: dict[str, Any] | None
    discarded_maker_changes: bool = False


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def patch_is_replay_safe(ops: Sequence[Mapping[str, Any]]) -> bool:
    """True when applying ``ops`` twice gives the same document as applying them once.

    ``replace`` always qualifies; ``add`` and ``remove`` qualify on object members (and whole
    values); ``add``/``remove`` at an array position (``-`` or a number), ``test``, ``move``
    and ``copy`` do not. See the module docstring of ``_http`` for the reasoning.
    """
    for op in ops:
        kind = op.get("op")
        last = str(op.get("path", "")).rsplit("/", 1)[-1]
        positional = last == "-" or last.isdigit()
        if kind == "replace":
            continue
        if kind in ("add", "remove") and not positional:
            continue
        return False
    return True


class PalClient:
    """A client of the PAL API. Thread-safe; share one per process (see :func:`get_client`).

    ``transport`` replaces the network (``httpx.MockTransport`` in tests); ``policy`` sets
    timeouts and retries; ``user_agent`` is appended to ``palfleet/<version> (+python-httpx/<v>)``;
    ``clock`` and ``rng`` make retries deterministic in tests.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        user_agent: str | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        problem = insecure_transport(base_url) if isinstance(base_url, str) else "no base URL"
        if problem is not None:
            raise ValueError(problem)
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError(
                "api_key is empty: set TAVUS_API_KEY or the Pulumi config value palfleet:tavusApiKey"
            )
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._key_fingerprint = fingerprint(api_key)
        self._http = build_httpx_client(
            self.base_url, api_key, policy=self.policy, transport=transport, user_agent=user_agent
        )
        self._engine = HttpEngine(
            self._http,
            api_key,
            policy=self.policy,
            clock=clock or SystemClock(),
            rng=rng or random.Random(),
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"PalClient(base_url={self.base_url!r}, api_key=<redacted {self._key_fingerprint}>)"

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PalClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, req: ApiRequest) -> ApiResponse:
        return self._engine.send(req)

    def _read(self, reader: Any, response: ApiResponse, req: ApiRequest) -> Any:
        try:
            return reader(response.body)
        except WireFormatError as exc:
            raise errors.UnexpectedResponse(
                f"{req.method} {req.path}: unexpected response shape ({exc})",
                status=response.status,
                method=req.method,
                path=req.path,
            ) from None

    # -- PALs ---------------------------------------------------------------------------------

    def create_pal(self, body: Mapping[str, Any], *, fetch_full: bool = False) -> dict[str, Any]:
        """Create a PAL; returns what the server answered, normalized to ``/pals`` vocabulary.

        The answer may be short (``pal_id``, ``pal_name``, ``created_at``) or the full document.
        With ``fetch_full=True`` a short answer is followed by a GET of the new PAL. Never
        retried once it may have reached the server: raises :class:`OutcomeUnknown` instead.
        """
        name = body.get("pal_name", body.get("persona_name"))
        req = ApiRequest(
            "POST",
            "/pals",
            json=dict(body),
            idempotent=False,
            name=name if isinstance(name, str) else None,
        )
        created: dict[str, Any] = self._read(read_pal, self._send(req), req)
        if fetch_full and is_short_create_response(created) and created.get("pal_id"):
            return self.get_pal(str(created["pal_id"]))
        return created

    def get_pal(self, pal_id: str) -> dict[str, Any]:
        req = ApiRequest("GET", f"/pals/{_segment(pal_id, 'pal_id')}")
        result: dict[str, Any] = self._read(read_pal, self._send(req), req)
        return result

    def list_pals(self, *, pal_type: str = "user", page: int = 1, limit: int = 100) -> Page:
        """One page of PALs (``page`` is 1-based; the API caps ``limit`` at 100)."""
        req = ApiRequest(
            "GET", "/pals", params={"pal_type": pal_type, "page": page, "limit": limit}
        )
        response = self._send(req)
        result: Page = self._read(lambda b: read_pal_page(b, page=page, limit=limit), response, req)
        return result

    def iter_pals(self, *, pal_type: str = "user", limit: int = 100) -> Iterator[dict[str, Any]]:
        """Every PAL of ``pal_type``, page after page."""
        yield from _iterate(lambda p: self.list_pals(pal_type=pal_type, page=p, limit=limit))

    def all_pals(
        self, *, pal_type: str = "user", limit: int = 100, concurrency: int = 8
    ) -> list[dict[str, Any]]:
        """Every PAL of ``pal_type`` in about three round trips: page 1 says ``total_count``,
        the other pages are then read ``concurrency`` at a time. A server that gives no total
        is walked page after page; PALs that moved between pages while they were read are
        kept once."""
        first = self.list_pals(pal_type=pal_type, page=1, limit=limit)
        size = len(first.items)
        if first.total_count is None or size == 0 or first.total_count <= size:
            return list(
                _iterate(
                    lambda p: (
                        first if p == 1 else self.list_pals(pal_type=pal_type, page=p, limit=limit)
                    )
                )
            )
        pages = range(2, -(-first.total_count // size) + 1)
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(pages)))) as pool:
            rest = list(
                pool.map(lambda p: self.list_pals(pal_type=pal_type, page=p, limit=limit), pages)
            )
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for pal in [*first.items, *(item for page in rest for item in page.items)]:
            key = str(pal.get("pal_id"))
            if key not in seen:
                seen.add(key)
                out.append(pal)
        return out

    def face_names(self) -> dict[str, str]:
        """face id -> face name of every face the account can use (``GET /faces``, revision 2
        of the contract; the legacy ``replica_*`` names are read too). An API without faces
        (404) gives an empty mapping."""
        names: dict[str, str] = {}
        page = 1
        while True:
            req = ApiRequest("GET", "/faces", params={"page": page, "limit": 100})
            try:
                body = self._send(req).body
            except errors.NotFound:
                return names
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                return names
            for face in data:
                if not isinstance(face, dict):
                    continue
                face_id = face.get("face_id") or face.get("replica_id")
                name = face.get("face_name") or face.get("replica_name")
                if isinstance(face_id, str) and isinstance(name, str):
                    names[face_id] = name
            if len(data) < 100:
                return names
            page += 1

    def document_names(self) -> dict[str, str]:
        """Knowledge-base document id -> name, as far as the API lists documents (an account
        whose API has no document list gives {})."""
        names: dict[str, str] = {}
        try:
            for page_number in range(1, 1_000):
                req = ApiRequest("GET", "/documents", params={"page": page_number, "limit": 100})
                items, total = self._read(unwrap_list, self._send(req), req)
                for doc in items:
                    if isinstance(doc.get("document_id"), str):
                        names[doc["document_id"]] = str(doc.get("document_name") or "")
                if not items or (total is not None and len(names) >= total):
                    break
        except errors.PalApiError:
            return names
        return names

    def patch_pal(
        self, pal_id: str, ops: Sequence[Mapping[str, Any]], *, force: bool = False
    ) -> PatchResult:
        """Apply an RFC 6902 JSON Patch to a PAL.

        ``force=True`` overwrites (and discards) a human's unpublished PAL Maker draft; without
        it such a draft raises :class:`MakerDraftConflict`. Replay-safe patches (see
        :func:`patch_is_replay_safe`) are retried like GETs; others raise
        :class:`OutcomeUnknown` when their outcome is unknown, and so does a retried patch
        that the server rejects with 422 (the earlier attempt may have applied it): re-read
        the PAL and diff again.
        """
        body = [dict(op) for op in ops]
        req = ApiRequest(
            "PATCH",
            f"/pals/{_segment(pal_id, 'pal_id')}",
            params={"force": "true"} if force else None,
            json=body,
            idempotent=patch_is_replay_safe(body),
        )
        try:
            response = self._send(req)
        except errors.InvalidPatch as exc:
            if not exc.replayed:
                raise
            raise errors.OutcomeUnknown(
                f"{exc.method} {exc.path}: the retried patch was rejected ({exc.detail}), but "
                "an earlier attempt may already have applied it. Re-read the PAL and diff again.",
                status=exc.status,
                method=exc.method,
                path=exc.path,
                detail=exc.detail,
                replayed=True,
            ) from None
        if response.status == 304:
            return PatchResult(changed=response.replayed, document=None)
        if response.body is None:
            return PatchResult(changed=True, document=None)
        document: dict[str, Any] = self._read(read_pal, response, req)
        discarded = bool(document.pop("discarded_maker_changes", False))
        return PatchResult(changed=True, document=document, discarded_maker_changes=discarded)

    def delete_pal(self, pal_id: str) -> None:
        """Delete a PAL. Raises :class:`NotFound` if it does not exist (unless a retry of
        this same call found it gone, which means the first attempt deleted it)."""
        self._delete(f"/pals/{_segment(pal_id, 'pal_id')}")

    def delete_pal_if_exists(self, pal_id: str) -> bool:
        """Delete a PAL; False when it did not exist."""
        try:
            self.delete_pal(pal_id)
        except errors.NotFound:
            return False
        return True

    def _delete(self, path: str) -> None:
        try:
            self._send(ApiRequest("DELETE", path))
        except errors.NotFound as exc:
            if not exc.replayed:
                raise

    # -- tools registry -----------------------------------------------------------------------

    def create_tool(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a registry tool. Like :meth:`create_pal`, never blindly repeated."""
        name = body.get("name")
        req = ApiRequest(
            "POST",
            "/tools",
            json=dict(body),
            idempotent=False,
            name=name if isinstance(name, str) else None,
        )
        result: dict[str, Any] = self._read(read_tool, self._send(req), req)
        return result

    def get_tool(self, tool_id: str) -> dict[str, Any]:
        req = ApiRequest("GET", f"/tools/{_segment(tool_id, 'tool_id')}")
        result: dict[str, Any] = self._read(read_tool, self._send(req), req)
        return result

    def list_tools(
        self,
        *,
        type: str = "user",
        page: int = 1,
        limit: int = 100,
        name_or_uuid: str | None = None,
        sort: str | None = None,
    ) -> Page:
        params: dict[str, str | int] = {"type": type, "page": page, "limit": limit}
        if name_or_uuid is not None:
            params["name_or_uuid"] = name_or_uuid
        if sort is not None:
            params["sort"] = sort
        req = ApiRequest("GET", "/tools", params=params)
        response = self._send(req)
        result: Page = self._read(
            lambda b: read_tool_page(b, page=page, limit=limit), response, req
        )
        return result

    def iter_tools(
        self,
        *,
        type: str = "user",
        limit: int = 100,
        name_or_uuid: str | None = None,
        sort: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        yield from _iterate(
            lambda p: self.list_tools(
                type=type, page=p, limit=limit, name_or_uuid=name_or_uuid, sort=sort
            )
        )

    def update_tool(self, tool_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Merge-PATCH a tool: fields present replace, absent fields stay (idempotent)."""
        req = ApiRequest("PATCH", f"/tools/{_segment(tool_id, 'tool_id')}", json=dict(fields))
        result: dict[str, Any] = self._read(read_tool, self._send(req), req)
        return result

    def delete_tool(self, tool_id: str) -> None:
        """Delete a registry tool (it is detached from every PAL). Raises :class:`NotFound`."""
        self._delete(f"/tools/{_segment(tool_id, 'tool_id')}")

    def delete_tool_if_exists(self, tool_id: str) -> bool:
        try:
            self.delete_tool(tool_id)
        except errors.NotFound:
            return False
        return True

    def attach_tools(self, pal_id: str, tool_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Attach registry tools to a PAL (idempotent); returns the attached tools."""
        ids = list(tool_ids)
        for tool_id in ids:
            _segment(tool_id, "tool_id")  # rejects empty ids with a clear message
        req = ApiRequest(
            "POST", f"/pals/{_segment(pal_id, 'pal_id')}/tools", json={"tool_ids": ids}
        )
        return self._read_tool_list(req)

    def list_attached_tools(self, pal_id: str) -> list[dict[str, Any]]:
        """Registry tools attached to a PAL (never inline or system tools)."""
        return self._read_tool_list(ApiRequest("GET", f"/pals/{_segment(pal_id, 'pal_id')}/tools"))

    def detach_tool(self, pal_id: str, tool_id: str) -> bool:
        """Detach a tool; False when it was not attached (the goal holds either way).

        Raises :class:`NotFound` when the PAL (or the tool) does not exist.
        """
        path = f"/pals/{_segment(pal_id, 'pal_id')}/tools/{_segment(tool_id, 'tool_id')}"
        try:
            self._send(ApiRequest("DELETE", path))
        except errors.NotAttached:
            return False
        return True

    # -- guardrails and objective sets (pal-api.md section 8) ----------------------------------

    def create_record(self, kind: RecordKind, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a guardrail or objective set; like :meth:`create_pal`, never blindly
        repeated (the caller resolves an unknown outcome by looking for it)."""
        req = ApiRequest("POST", kind.path, json=dict(body), idempotent=False)
        result: dict[str, Any] = self._read(_record_reader(kind), self._send(req), req)
        return result

    def get_record(self, kind: RecordKind, record_id: str) -> dict[str, Any]:
        req = ApiRequest("GET", f"{kind.path}/{_segment(record_id, kind.id_key)}")
        result: dict[str, Any] = self._read(_record_reader(kind), self._send(req), req)
        return result

    def iter_records(
        self, kind: RecordKind, *, name: str | None = None, limit: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every user record of the kind; with ``name``, only those of exactly that name."""

        def page(number: int) -> Page:
            params: dict[str, str | int] = {"page": number, "limit": limit}
            if name is not None and kind.searchable_by_name:
                params["name_or_uuid"] = name
            req = ApiRequest("GET", kind.path, params=params)
            response = self._send(req)
            items, total = self._read(unwrap_list, response, req)
            return Page(items, total, number, limit)

        for record in _iterate(page):
            if name is None or record.get(kind.name_key) == name:
                yield record

    def patch_record(
        self, kind: RecordKind, record_id: str, ops: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any] | None:
        """Apply a JSON Patch; the updated record, or None when the API changed nothing (304)."""
        req = ApiRequest(
            "PATCH",
            f"{kind.path}/{_segment(record_id, kind.id_key)}",
            json=[dict(op) for op in ops],
            idempotent=patch_is_replay_safe(ops),
        )
        response = self._send(req)
        if response.status == 304 or response.body is None:
            return None
        result: dict[str, Any] = self._read(_record_reader(kind), response, req)
        return result

    def delete_record_if_exists(self, kind: RecordKind, record_id: str) -> bool:
        try:
            self._delete(f"{kind.path}/{_segment(record_id, kind.id_key)}")
        except errors.NotFound:
            return False
        return True

    def _read_tool_list(self, req: ApiRequest) -> list[dict[str, Any]]:
        response = self._send(req)
        if response.body is None:
            return []
        items: list[dict[str, Any]] = self._read(lambda b: unwrap_list(b)[0], response, req)
        return items


def _record_reader(kind: RecordKind) -> Any:
    return lambda body: read_record(body, id_key=kind.id_key)


def _iterate(fetch: Any) -> Iterator[dict[str, Any]]:
    """Walk pages from 1: stop on an empty page, once ``total_count`` items were seen, or (when
    the server gives no total) on a short page. With a total, a short page does not stop the
    walk: the server may cap ``limit`` below what was asked."""
    seen = 0
    page_number = 1
    while True:
        page: Page = fetch(page_number)
        yield from page.items
        seen += len(page.items)
        if not page.items:
            return
        if page.total_count is not None:
            if seen >= page.total_count:
                return
        elif len(page.items) < page.limit:
            return
        page_number += 1


_clients: dict[tuple[str, str], PalClient] = {}
_clients_lock = threading.Lock()


def get_client(base_url: str, api_key: str, **kw: Any) -> PalClient:
    """The process-wide shared client for (``base_url``, API key).

    Safe to call from many threads; they all get the same pooled instance (the connection pool
    allows 16 connections). ``kw`` (``transport``, ``policy``, ...) only applies when the
    client is first created. The lock guards the cache only; no I/O happens under it.
    """
    key = (base_url.rstrip("/"), hashlib.sha256(api_key.encode()).hexdigest())
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.closed:
            client = PalClient(base_url, api_key, **kw)
            _clients[key] = client
        return client


def close_all_clients() -> None:
    """Close and forget every shared client (process shutdown, test isolation)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
