"""Guardrails, objective sets, knowledge-base documents and conversations (contract §8-10).

Each is a JSON document in the store's ``records`` table, keyed by kind and id. Guardrails and
objective sets are written through the API (JSON Patch for updates); documents only through
the test controls (uploading and crawling are outside the contract); conversations keep a
minimal record with no media.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import guardrail_rules, ids, objective_rules
from .errors import ApiError, InvalidDocument, bad_request, invalid_patch
from .patching import PatchError, validate_patch
from .patching import apply_patch as apply_json_patch
from .store import Store

GUARDRAIL, OBJECTIVES, DOCUMENT, CONVERSATION = (
    "guardrail",
    "objectives",
    "document",
    "conversation",
)
PREFIX = {GUARDRAIL: "g", OBJECTIVES: "o", DOCUMENT: "d", CONVERSATION: "c"}
PATTERN = {kind: ids.hex_id_pattern(prefix) for kind, prefix in PREFIX.items()}
OWNER_ID = "emulator-owner"
CONVERSATION_FIELDS = (
    "pal_id",
    "face_id",
    "conversation_name",
    "callback_url",
    "properties",
    "conversational_context",
    "custom_greeting",
    "memory_stores",
    "document_ids",
    "document_tags",
    "audio_only",
    "require_auth",
    "max_participants",
    "test_mode",
)
LEGACY_CONVERSATION = {"persona_id": "pal_id", "replica_id": "face_id"}


def invalid_id(kind: str) -> ApiError:
    field = "objectives_id" if kind == OBJECTIVES else f"{kind}_id"
    return bad_request(f"Invalid {field}")


Normalize = Callable[[Any], dict[str, Any]]


def _checked(normalize: Normalize, body: Any) -> dict[str, Any]:
    """``normalize(body)``, a broken rule answered as the contract's 400."""
    try:
        return normalize(body)
    except InvalidDocument as exc:
        raise bad_request(str(exc)) from None


def _page(items: list[dict[str, Any]], size: int, offset: int) -> dict[str, Any]:
    return {"data": items[offset : offset + size], "total_count": len(items)}


class AccountRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ common
    def _new_id(self, kind: str) -> str:
        while True:
            candidate = ids.hex_id_for(PREFIX[kind], self.store.next_counter(kind))
            if self.store.get_record(kind, candidate) is None:
                return candidate

    def load(self, kind: str, record_id: str) -> dict[str, Any]:
        doc = self.store.get_record(kind, record_id) if PATTERN[kind].match(record_id) else None
        if doc is None:
            raise invalid_id(kind)
        return doc

    def exists(self, kind: str, record_id: str) -> bool:
        return PATTERN[kind].match(record_id) is not None and (
            self.store.get_record(kind, record_id) is not None
        )

    def delete(self, kind: str, record_id: str) -> None:
        self.load(kind, record_id)
        self.store.delete_record(kind, record_id)

    def _create(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self.store.write():
            stamp = ids.now_timestamp()
            record_id = self._new_id(kind)
            key = "objectives_id" if kind == OBJECTIVES else f"{kind}_id"
            stored = {key: record_id, **doc, "owner_id": OWNER_ID, "created_at": stamp}
            stored["updated_at"] = stamp
            self.store.put_record(kind, record_id, stored)
            return stored

    def _patch(
        self, kind: str, record_id: str, patch: Any, normalize: Normalize
    ) -> dict[str, Any] | None:
        """The patched document, or None when nothing changed (304)."""
        with self.store.write():
            stored = self.load(kind, record_id)
            try:
                ops = validate_patch(patch)
                result = apply_json_patch(copy.deepcopy(stored), ops)
            except PatchError:
                raise invalid_patch() from None
            doc = _checked(normalize, result)
            server = {k: stored[k] for k in stored if k not in doc and k in _server_keys(kind)}
            updated = {**server, **doc}
            if updated == stored:
                return None
            updated["updated_at"] = ids.now_timestamp()
            self.store.put_record(kind, record_id, updated)
            return updated

    # -------------------------------------------------------------- guardrails
    def create_guardrail(self, body: Any) -> dict[str, Any]:
        return self._create(GUARDRAIL, _checked(guardrail_rules.normalize_guardrail, body))

    def patch_guardrail(self, guardrail_id: str, patch: Any) -> dict[str, Any] | None:
        return self._patch(GUARDRAIL, guardrail_id, patch, guardrail_rules.normalize_guardrail)

    def list_guardrails(
        self,
        *,
        size: int,
        offset: int,
        name_or_uuid: str | None,
        kind: str | None,
        sort: str | None,
        tags: str | None,
    ) -> dict[str, Any]:
        if kind not in (None, "user", "system", "all"):
            raise bad_request("type must be user, system or all")
        if sort not in (None, "ascending", "descending"):
            raise bad_request("sort must be ascending or descending")
        items = self.store.records(GUARDRAIL)
        if kind == "system":
            items = []  # the emulator seeds no system guardrails
        if name_or_uuid:
            needle = name_or_uuid.lower()
            items = [
                g
                for g in items
                if g["guardrail_id"] == name_or_uuid or needle in g["guardrail_name"].lower()
            ]
        if tags:
            wanted = {t.strip() for t in tags.split(",") if t.strip()}
            items = [g for g in items if wanted & set(g.get("tags", []))]
        if sort == "descending":
            items.reverse()
        return _page(items, size, offset)

    def guardrail_tags(self) -> dict[str, Any]:
        tags = sorted({t for g in self.store.records(GUARDRAIL) for t in g.get("tags", [])})
        return {"tags": tags, "total_count": len(tags)}

    # -------------------------------------------------------------- objectives
    def validate_objectives(self, body: Any) -> dict[str, Any]:
        _checked(objective_rules.normalize_objectives, body)
        return {"valid": True}

    def create_objectives(self, body: Any) -> dict[str, Any]:
        return self._create(OBJECTIVES, _checked(objective_rules.normalize_objectives, body))

    def patch_objectives(self, objectives_id: str, patch: Any) -> dict[str, Any] | None:
        return self._patch(OBJECTIVES, objectives_id, patch, objective_rules.normalize_objectives)

    def list_records(self, kind: str, *, size: int, offset: int) -> dict[str, Any]:
        return _page(self.store.records(kind), size, offset)

    # --------------------------------------------------------------- documents
    def seed_document(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("a document must be a JSON object")
        doc_id = body.get("document_id") or self._new_id(DOCUMENT)
        if not isinstance(doc_id, str) or not PATTERN[DOCUMENT].match(doc_id):
            raise bad_request("document_id must be d followed by 11 hex digits")
        stamp = ids.now_timestamp()
        doc = {
            "document_name": f"document {doc_id}",
            "status": "ready",
            "tags": [],
            "created_at": stamp,
            "updated_at": stamp,
            **body,
            "document_id": doc_id,
        }
        self.store.put_record(DOCUMENT, doc_id, doc)
        return doc

    # ----------------------------------------------------------- conversations
    def create_conversation(self, body: Any, pal_face: Any) -> dict[str, Any]:
        """``pal_face(pal_id)``: the PAL's default face (None without one); raises for an
        unknown PAL."""
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        request = dict(body)
        for legacy, current in LEGACY_CONVERSATION.items():
            if legacy in request:
                request.setdefault(current, request.pop(legacy))
        for key in request:
            if key not in CONVERSATION_FIELDS:
                raise bad_request(f"{key} is not a known conversation field; remove it")
        pal_id = request.get("pal_id")
        if not isinstance(pal_id, str):
            raise bad_request("pal_id is required")
        face_id = request.get("face_id") or pal_face(pal_id)
        if not face_id:
            raise bad_request("face_id is required: the PAL has no default face")
        stamp = ids.now_timestamp()
        conversation_id = self._new_id(CONVERSATION)
        doc = {
            "conversation_id": conversation_id,
            "conversation_name": request.get("conversation_name")
            or f"Conversation {conversation_id}",
            "conversation_url": f"https://tavus.daily.co/{conversation_id}",
            "status": "active",
            "callback_url": request.get("callback_url", ""),
            "pal_id": pal_id,
            "face_id": face_id,
            "properties": request.get("properties") or {},
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.store.put_record(CONVERSATION, conversation_id, doc)
        return {
            k: doc[k]
            for k in (
                "conversation_id",
                "conversation_name",
                "conversation_url",
                "status",
                "callback_url",
                "created_at",
            )
        }

    def list_conversations(self, *, size: int, offset: int, status: str | None) -> dict[str, Any]:
        items = self.store.records(CONVERSATION)
        if status:
            items = [c for c in items if c["status"] == status]
        return _page(items, size, offset)

    def get_conversation(self, conversation_id: str, *, verbose: bool) -> dict[str, Any]:
        doc = self.load(CONVERSATION, conversation_id)
        return {**doc, "events": []} if verbose else doc

    def end_conversation(self, conversation_id: str) -> dict[str, Any]:
        with self.store.write():
            doc = self.load(CONVERSATION, conversation_id)
            doc = {**doc, "status": "ended", "updated_at": ids.now_timestamp()}
            self.store.put_record(CONVERSATION, conversation_id, doc)
            return doc


def _server_keys(kind: str) -> tuple[str, ...]:
    if kind == GUARDRAIL:
        return guardrail_rules.SERVER_OWNED
    return objective_rules.SERVER_OWNED
