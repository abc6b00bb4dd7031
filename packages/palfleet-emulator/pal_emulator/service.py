"""The rules of the PAL API (contract §2-4) on top of the store.

Every public method either returns the JSON answer of a successful call or raises
``ApiError`` carrying the contract's status code and error body.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from . import ids, pal_rules, tool_rules
from .account_records import DOCUMENT, GUARDRAIL, OBJECTIVES, AccountRecords
from .errors import ApiError, InvalidDocument, bad_request, invalid_patch
from .patching import PatchError, format_pointer, parse_pointer, validate_patch
from .patching import apply_patch as apply_json_patch
from .seed_data import STOCK_FACES, STOCK_PAL_SERVER_FIELDS, STOCK_PALS
from .store import Store
from .vocabulary import canonical_pointer_tokens, to_canonical, to_vocabulary

OWNER_ID = "emulator-owner"
MAX_TOOLS_PER_PAL = 50
MAX_LIMIT = 100
NOT_ATTACHED = "Bad Request. Tool not attached to this PAL"


class PatchOutcome:
    """200 with a body, or 304 (``body is None``)."""

    def __init__(self, body: dict[str, Any] | None) -> None:
        self.body = body


def invalid_pal_id(legacy: bool) -> ApiError:
    return bad_request("Invalid persona_id" if legacy else "Invalid pal_id")


def _invalid_tool() -> ApiError:
    return bad_request("Invalid tool_id")


# Past any page that can hold data: SQLite's OFFSET is a signed 64-bit integer.
MAX_OFFSET = 2**62


def paging(page: int | None, limit: int | None, default_limit: int = 10) -> tuple[int, int]:
    """(limit, offset): ``page`` 1-based with 0 (or less) read as 1; ``limit`` capped at 100.
    A page beyond every possible row is an empty page, never an overflow."""
    size = default_limit if limit is None or limit < 1 else min(limit, MAX_LIMIT)
    number = 1 if page is None or page < 1 else page
    return size, min((number - 1) * size, MAX_OFFSET)


class EmulatorService:
    def __init__(self, store: Store, *, seed: bool = True) -> None:
        self.store = store
        self.records = AccountRecords(store)
        self.seed_stock = seed
        if seed and not store.faces():
            self._seed_stock()

    # ---------------------------------------------------------------- helpers
    def _seed_stock(self) -> None:
        with self.store.write():
            for face in STOCK_FACES:
                self.store.put_face(face)
            for pal in STOCK_PALS:
                if not self.store.pal_exists(pal["pal_id"]):
                    self.store.insert_pal({**pal, **STOCK_PAL_SERVER_FIELDS}, None)

    def _new_pal_id(self) -> str:
        while True:
            candidate = ids.pal_id_for(self.store.next_counter("pal"))
            if not self.store.pal_exists(candidate):
                return candidate

    def _new_tool_id(self) -> str:
        while True:
            candidate = ids.tool_id_for(self.store.next_counter("tool"))
            if not self.store.tool_id_taken(candidate):
                return candidate

    def _load_pal(self, pal_id: str, legacy: bool) -> dict[str, Any]:
        doc = self.store.get_pal(pal_id) if ids.PAL_ID.match(pal_id) else None
        if doc is None:
            raise invalid_pal_id(legacy)
        return doc

    def _view(self, doc: dict[str, Any], tool_ids: list[str], legacy: bool) -> dict[str, Any]:
        shown = pal_rules.mask_pal(doc)
        view = {"pal_id": shown["pal_id"]}
        view.update((k, v) for k, v in shown.items() if k != "pal_id")
        view["tool_ids"] = tool_ids
        return to_vocabulary(view, legacy=legacy)

    def _check_tool_ids(self, tool_ids: Sequence[str], field: str) -> list[str]:
        unique = list(dict.fromkeys(tool_ids))
        if len(unique) > MAX_TOOLS_PER_PAL:
            raise bad_request(f"{field}: a PAL can have at most {MAX_TOOLS_PER_PAL} tools")
        for tool_id in unique:
            if tool_id in tool_rules.SYSTEM_TOOLS:
                raise bad_request(
                    f"{field}: {tool_id} is a system tool, always available; do not attach it"
                )
            if self.store.get_tool(tool_id) is None:
                raise bad_request(f"{field}: Invalid tool_id {tool_id}")
        return unique

    def _server_fields(self, doc: dict[str, Any], username: str | None) -> None:
        if username:
            doc["conferencing_email"] = f"{username}@{pal_rules.CONFERENCING_DOMAIN}"
        else:
            doc.pop("conferencing_email", None)

    def _check_username(self, username: str | None, pal_id: str | None) -> None:
        if username is None:
            return
        owner = self.store.username_owner(username)
        if owner is not None and owner != pal_id:
            raise bad_request(
                f"layers.conferencing.username {username!r} is already taken; choose another"
            )

    def _normalize(self, user_doc: dict[str, Any]) -> dict[str, Any]:
        try:
            doc = pal_rules.normalize_pal(user_doc, face_exists=self.store.face_exists)
        except InvalidDocument as exc:
            raise bad_request(str(exc)) from None
        self._check_references(doc)
        return doc

    def _check_references(self, doc: dict[str, Any]) -> None:
        """Ids of account records a PAL points at must exist in this account (§8, §9): a
        promotion that copied another environment's ids is refused here."""
        references = (
            ("document_ids", DOCUMENT, "document_id"),
            ("guardrail_ids", GUARDRAIL, "guardrail_id"),
        )
        for field, kind, name in references:
            for record_id in doc.get(field, []):
                if not self.records.exists(kind, record_id):
                    raise bad_request(f"{field}: Invalid {name} {record_id}")
        objectives = doc.get("objectives_id")
        if objectives is not None and not self.records.exists(OBJECTIVES, objectives):
            raise bad_request(f"objectives_id: Invalid objectives_id {objectives}")

    def default_face_of(self, pal_id: str) -> str | None:
        """The PAL's default face (a conversation without face_id uses it)."""
        face = self._load_pal(pal_id, legacy=False).get("default_face_id")
        return face if isinstance(face, str) else None

    # ------------------------------------------------------------------- PALs
    def create_pal(self, body: Any, *, legacy: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object describing the PAL")
        try:
            user_doc = to_canonical(body)
        except InvalidDocument as exc:
            raise bad_request(str(exc)) from None
        doc = self._normalize(user_doc)
        tool_ids = self._check_tool_ids(doc.pop("tool_ids", []), "tool_ids")
        username = pal_rules.conferencing_username(doc)
        with self.store.write():
            self._check_username(username, None)
            stamp = ids.now_timestamp()
            doc = {
                "pal_id": self._new_pal_id(),
                **doc,
                "pal_type": "user",
                "owner_id": OWNER_ID,
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._server_fields(doc, username)
            self.store.insert_pal(doc, username)
            self.store.set_attachments(doc["pal_id"], tool_ids)
        return self._view(doc, tool_ids, legacy)

    def get_pal(self, pal_id: str, *, legacy: bool) -> dict[str, Any]:
        doc = self._load_pal(pal_id, legacy)
        return self._view(doc, self.store.attached_tool_ids(pal_id), legacy)

    def list_pals(
        self, *, page: int | None, limit: int | None, pal_type: str | None, legacy: bool
    ) -> dict[str, Any]:
        if pal_type is not None and pal_type not in ("user", "system"):
            field = "persona_type" if legacy else "pal_type"
            raise bad_request(f"{field} must be user or system")
        size, offset = paging(page, limit)
        docs, total = self.store.list_pals(pal_type, size, offset)
        attached = self.store.attached_tool_ids_many([d["pal_id"] for d in docs])
        data = [self._view(d, attached[d["pal_id"]], legacy) for d in docs]
        return {"data": data, "total_count": total}

    def delete_pal(self, pal_id: str, *, legacy: bool) -> None:
        with self.store.write():
            doc = self._load_pal(pal_id, legacy)
            if doc.get("pal_type") == "system":
                raise bad_request("System PALs are read-only and cannot be deleted")
            self.store.delete_pal(pal_id)

    def patch_pal(self, pal_id: str, patch: Any, *, force: bool, legacy: bool) -> PatchOutcome:
        with self.store.write():
            stored = self._load_pal(pal_id, legacy)
            try:
                ops = self._canonical_patch(patch)
            except PatchError:
                raise invalid_patch() from None
            ops = [op for op in ops if not pal_rules.is_patch_no_op(op)]
            if stored.get("pal_type") == "system":
                raise bad_request("System PALs are read-only and cannot be patched")
            conferencing_only = all(self._is_conferencing_op(op) for op in ops)
            draft = self.store.get_draft(pal_id)
            if draft is not None and not conferencing_only and not force:
                raise ApiError(
                    409,
                    {
                        "conflict": "maker_changes",
                        "message": "This PAL has unpublished PAL Maker changes. "
                        "Publish or discard them, or repeat the request with force=true to overwrite them.",
                    },
                )
            discard = draft is not None and not conferencing_only and force
            tool_ids = self.store.attached_tool_ids(pal_id)
            current = self._view(stored, tool_ids, legacy=False)
            try:
                result = apply_json_patch(current, ops)
            except PatchError:
                raise invalid_patch() from None
            new_doc, new_tool_ids, username = self._validate_patched(
                result, current, stored, legacy
            )
            changed = new_doc != stored or new_tool_ids != tool_ids
            if discard:
                self.store.clear_draft(pal_id)
            if not changed and not discard:
                return PatchOutcome(None)
            if changed:
                new_doc["updated_at"] = ids.now_timestamp()
                self.store.update_pal(new_doc, username)
                self.store.set_attachments(pal_id, new_tool_ids)
            body = self._view(new_doc, self.store.attached_tool_ids(pal_id), legacy)
            if discard:
                body["discarded_maker_changes"] = True
            return PatchOutcome(body)

    @staticmethod
    def _canonical_patch(patch: Any) -> list[dict[str, Any]]:
        ops = validate_patch(patch)
        out = []
        for op in ops:
            fixed = dict(op)
            fixed["path"] = format_pointer(canonical_pointer_tokens(parse_pointer(op["path"])))
            if "from" in op:
                fixed["from"] = format_pointer(canonical_pointer_tokens(parse_pointer(op["from"])))
            out.append(fixed)
        return out

    @staticmethod
    def _is_conferencing_op(op: dict[str, Any]) -> bool:
        pointers = [op["path"], *([op["from"]] if "from" in op else [])]
        return all(parse_pointer(p)[:2] == ["layers", "conferencing"] for p in pointers)

    def _validate_patched(
        self,
        result: Any,
        current: dict[str, Any],
        stored: dict[str, Any],
        legacy: bool,
    ) -> tuple[dict[str, Any], list[str], str | None]:
        if not isinstance(result, dict):
            raise bad_request("the patched PAL must be a JSON object")
        try:
            result = to_canonical(result)
        except InvalidDocument as exc:
            raise bad_request(str(exc)) from None
        for key in pal_rules.SERVER_OWNED:
            if result.get(key) != current.get(key):
                raise bad_request(f"{key} is set by the server and cannot be patched")
        result = pal_rules.restore_masked_secrets(result, stored)
        tool_ids_value = result.pop("tool_ids", [])
        if not isinstance(tool_ids_value, list) or not all(
            isinstance(t, str) for t in tool_ids_value
        ):
            raise bad_request("tool_ids must be an array of strings")
        user_doc = {k: v for k, v in result.items() if k not in pal_rules.SERVER_OWNED}
        normalized = self._normalize(user_doc)
        tool_ids = self._check_tool_ids(tool_ids_value, "tool_ids")
        username = pal_rules.conferencing_username(normalized)
        self._check_username(username, stored["pal_id"])
        new_doc = {"pal_id": stored["pal_id"], **normalized}
        for key in ("pal_type", "owner_id", "created_at", "updated_at"):
            new_doc[key] = stored.get(key)
        self._server_fields(new_doc, username)
        return new_doc, tool_ids, username

    # ------------------------------------------------------------- PAL tools
    def _registry_tools(self, tool_ids: list[str]) -> list[dict[str, Any]]:
        tools = (self.store.get_tool(t) for t in tool_ids)
        return [tool_rules.mask_tool(t) for t in tools if t is not None]

    def list_pal_tools(self, pal_id: str, *, legacy: bool) -> dict[str, Any]:
        self._load_pal(pal_id, legacy)
        return {"data": self._registry_tools(self.store.attached_tool_ids(pal_id))}

    def attach_tools(self, pal_id: str, body: Any, *, legacy: bool) -> dict[str, Any]:
        with self.store.write():
            stored = self._load_pal(pal_id, legacy)
            if stored.get("pal_type") == "system":
                raise bad_request("System PALs are read-only; tools cannot be attached")
            requested = body.get("tool_ids") if isinstance(body, dict) else None
            if not isinstance(requested, list) or not all(isinstance(t, str) for t in requested):
                raise bad_request('tool_ids is required: send {"tool_ids": ["<tool id>", ...]}')
            current = self.store.attached_tool_ids(pal_id)
            wanted = self._check_tool_ids([*current, *requested], "tool_ids")
            if wanted != current:
                self.store.set_attachments(pal_id, wanted)
                stored["updated_at"] = ids.now_timestamp()
                self.store.update_pal(stored, pal_rules.conferencing_username(stored))
            return {"data": self._registry_tools(wanted)}

    def detach_tool(self, pal_id: str, tool_id: str, *, legacy: bool) -> None:
        with self.store.write():
            stored = self._load_pal(pal_id, legacy)
            current = self.store.attached_tool_ids(pal_id)
            if tool_id not in current:
                raise bad_request(NOT_ATTACHED)
            self.store.set_attachments(pal_id, [t for t in current if t != tool_id])
            stored["updated_at"] = ids.now_timestamp()
            self.store.update_pal(stored, pal_rules.conferencing_username(stored))

    # ------------------------------------------------------------------ tools
    def _normalize_tool(self, body: Any, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return tool_rules.normalize_tool(body, stored)
        except InvalidDocument as exc:
            raise bad_request(str(exc)) from None

    def _check_tool_name(self, name: str, tool_id: str | None) -> None:
        owner = self.store.tool_id_by_name(name)
        if name in tool_rules.SYSTEM_TOOLS or (owner is not None and owner != tool_id):
            raise bad_request("Tool name already exists")

    def create_tool(self, body: Any) -> dict[str, Any]:
        doc = self._normalize_tool(body)
        with self.store.write():
            self._check_tool_name(doc["name"], None)
            stamp = ids.now_timestamp()
            doc = {
                "tool_id": self._new_tool_id(),
                **doc,
                "is_system_tool": False,
                "owner_id": OWNER_ID,
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.store.insert_tool(doc)
        return tool_rules.mask_tool(doc)

    def get_tool(self, tool_id: str) -> dict[str, Any]:
        if tool_id in tool_rules.SYSTEM_TOOLS:
            return copy.deepcopy(tool_rules.SYSTEM_TOOLS[tool_id])
        doc = self.store.get_tool(tool_id)
        if doc is None:
            raise _invalid_tool()
        return tool_rules.mask_tool(doc)

    def list_tools(
        self,
        *,
        page: int | None,
        limit: int | None,
        sort: str | None,
        tool_type: str | None,
        name_or_uuid: str | None,
    ) -> dict[str, Any]:
        kind = tool_type or "user"
        if kind not in ("user", "system", "all"):
            raise bad_request("type must be user, system or all")
        order = sort or "desc"
        if order not in ("asc", "desc"):
            raise bad_request("sort must be asc or desc")
        tools: list[dict[str, Any]] = []
        if kind in ("system", "all"):
            tools.extend(copy.deepcopy(list(tool_rules.SYSTEM_TOOLS.values())))
        if kind in ("user", "all"):
            tools.extend(self.store.live_tools())
        if order == "desc":
            tools.reverse()
        if name_or_uuid:
            needle = name_or_uuid.lower()
            tools = [
                t for t in tools if needle in t["name"].lower() or t["tool_id"] == name_or_uuid
            ]
        size, offset = paging(page, limit)
        data = [tool_rules.mask_tool(t) for t in tools[offset : offset + size]]
        return {"data": data, "total_count": len(tools)}

    def patch_tool(self, tool_id: str, body: Any) -> dict[str, Any]:
        if tool_id in tool_rules.SYSTEM_TOOLS:
            raise bad_request("System tools cannot be updated")
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object of the fields to change")
        with self.store.write():
            stored = self.store.get_tool(tool_id)
            if stored is None:
                raise _invalid_tool()
            merged = {**tool_rules.user_fields(stored), **body}
            doc = self._normalize_tool(merged, stored)
            self._check_tool_name(doc["name"], tool_id)
            new_doc = {
                "tool_id": tool_id,
                **doc,
                **{
                    k: stored[k] for k in ("is_system_tool", "owner_id", "created_at", "updated_at")
                },
            }
            if new_doc != stored:
                new_doc["updated_at"] = ids.now_timestamp()
                self.store.update_tool(new_doc)
        return tool_rules.mask_tool(new_doc)

    def delete_tool(self, tool_id: str) -> None:
        if tool_id in tool_rules.SYSTEM_TOOLS:
            raise bad_request("System tools cannot be deleted")
        with self.store.write():
            if self.store.get_tool(tool_id) is None:
                raise _invalid_tool()
            self.store.soft_delete_tool(tool_id)

    # --------------------------------------------------------------- controls
    def reset(self, *, seed: bool) -> None:
        with self.store.write():
            self.store.wipe()
            if seed:
                self._seed_stock()

    def seed(
        self,
        *,
        pals: list[Any],
        tools: list[Any],
        faces: list[Any],
        validate: bool,
        documents: Sequence[Any] = (),
    ) -> dict[str, list[str]]:
        """Bulk insert; seeded documents may carry explicit ids and timestamps. Knowledge-base
        documents exist only this way (uploading is outside the contract)."""
        out: dict[str, list[str]] = {"faces": [], "tools": [], "pals": [], "documents": []}
        with self.store.write():
            for document in documents:
                out["documents"].append(self.records.seed_document(document)["document_id"])
            for face in faces:
                if not isinstance(face, dict):
                    raise bad_request("faces[]: every face must be an object")
                face_id = face.get("face_id") or ids.face_id_for(self.store.next_counter("face"))
                self.store.put_face({**face, "face_id": face_id})
                out["faces"].append(face_id)
            for tool in tools:
                out["tools"].append(self._seed_tool(tool, validate))
            rows: list[tuple[dict[str, Any], str | None]] = []
            attachments: list[tuple[str, list[str]]] = []
            for pal in pals:
                doc, tool_ids = self._seed_pal_doc(pal, validate)
                rows.append((doc, pal_rules.conferencing_username(doc)))
                attachments.append((doc["pal_id"], tool_ids))
                out["pals"].append(doc["pal_id"])
            if len({d["pal_id"] for d, _ in rows}) != len(rows):
                raise bad_request("pals[]: duplicate pal_id in the seed")
            for doc, _ in rows:
                if self.store.pal_exists(doc["pal_id"]):
                    raise bad_request(f"pals[]: pal_id {doc['pal_id']} already exists")
            self.store.insert_pals_bulk(rows)
            for pal_id, tool_ids in attachments:
                if tool_ids:
                    self.store.set_attachments(pal_id, tool_ids)
        return out

    def _seed_tool(self, tool: Any, validate: bool) -> str:
        if not isinstance(tool, dict):
            raise bad_request("tools[]: every tool must be an object")
        server = {k: tool[k] for k in tool_rules.SERVER_OWNED if k in tool}
        user = {k: v for k, v in tool.items() if k not in tool_rules.SERVER_OWNED}
        doc = self._normalize_tool(user) if validate else user
        self._check_tool_name(str(doc.get("name")), None)
        stamp = ids.now_timestamp()
        tool_id = str(server.get("tool_id") or self._new_tool_id())
        if self.store.tool_id_taken(tool_id):
            raise bad_request(f"tools[]: tool_id {tool_id} already exists")
        full = {
            "tool_id": tool_id,
            **doc,
            "is_system_tool": False,
            "owner_id": server.get("owner_id", OWNER_ID),
            "created_at": server.get("created_at", stamp),
            "updated_at": server.get("updated_at", stamp),
        }
        self.store.insert_tool(full)
        return tool_id

    def _seed_pal_doc(self, pal: Any, validate: bool) -> tuple[dict[str, Any], list[str]]:
        if not isinstance(pal, dict):
            raise bad_request("pals[]: every PAL must be an object")
        try:
            body = to_canonical(pal)
        except InvalidDocument as exc:
            raise bad_request(f"pals[]: {exc}") from None
        server = {k: body.pop(k) for k in pal_rules.SERVER_OWNED if k in body}
        tool_ids = body.pop("tool_ids", [])
        doc = self._normalize(body) if validate else body
        if validate:
            tool_ids = self._check_tool_ids(tool_ids, "pals[].tool_ids")
        stamp = ids.now_timestamp()
        full = {
            "pal_id": server.get("pal_id") or self._new_pal_id(),
            **doc,
            "pal_type": server.get("pal_type", "user"),
            "owner_id": server.get("owner_id", OWNER_ID),
            "created_at": server.get("created_at", stamp),
            "updated_at": server.get("updated_at", stamp),
        }
        if full["pal_type"] not in ("user", "system"):
            raise bad_request("pals[].pal_type must be user or system")
        self._server_fields(full, pal_rules.conferencing_username(full))
        return full, list(tool_ids)

    def set_draft(self, pal_id: str, draft: dict[str, Any]) -> None:
        with self.store.write():
            self._load_pal(pal_id, legacy=False)
            self.store.set_draft(pal_id, draft)

    def clear_draft(self, pal_id: str) -> bool:
        return self.store.clear_draft(pal_id)

    def edit_out_of_band(self, pal_id: str, changes: Any) -> dict[str, Any]:
        """RFC 7386 merge patch on the stored document, bypassing every API rule."""
        if not isinstance(changes, dict):
            raise bad_request("changes must be a JSON object (merge patch)")
        with self.store.write():
            stored = self._load_pal(pal_id, legacy=False)
            new_doc = _merge_patch(stored, changes)
            if not isinstance(new_doc, dict):
                raise bad_request("changes must leave the PAL a JSON object")
            new_doc["pal_id"] = pal_id
            new_doc.setdefault("pal_type", stored.get("pal_type", "user"))
            if "updated_at" not in changes:
                new_doc["updated_at"] = ids.now_timestamp()
            self.store.update_pal(new_doc, pal_rules.conferencing_username(new_doc))
            return self._view(new_doc, self.store.attached_tool_ids(pal_id), legacy=False)

    def delete_out_of_band(self, pal_id: str) -> None:
        with self.store.write():
            self._load_pal(pal_id, legacy=False)
            self.store.delete_pal(pal_id)


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out
