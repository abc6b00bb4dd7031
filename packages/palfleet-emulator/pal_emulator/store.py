"""SQLite persistence of the emulator: a file with ``--db``, ``:memory:`` otherwise.

One connection guarded by a re-entrant lock; every write runs inside
``BEGIN IMMEDIATE`` so a read-modify-write (a JSON Patch) is atomic and two
concurrent writers can never lose an update. Documents are JSON text keyed and
indexed by id and creation sequence, so GET one and list pages are index lookups.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pals (
    pal_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    pal_type TEXT NOT NULL,
    conf_username TEXT,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pals_by_seq ON pals(seq);
CREATE INDEX IF NOT EXISTS pals_by_type_seq ON pals(pal_type, seq);
CREATE UNIQUE INDEX IF NOT EXISTS pals_by_username ON pals(conf_username)
    WHERE conf_username IS NOT NULL;
CREATE TABLE IF NOT EXISTS tools (
    tool_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tools_by_live_name ON tools(name) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS tools_by_seq ON tools(deleted, seq);
CREATE TABLE IF NOT EXISTS attachments (
    pal_id TEXT NOT NULL,
    tool_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (pal_id, tool_id)
);
CREATE INDEX IF NOT EXISTS attachments_by_tool ON attachments(tool_id);
CREATE TABLE IF NOT EXISTS drafts (pal_id TEXT PRIMARY KEY, draft TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faces (face_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, record_id)
);
CREATE INDEX IF NOT EXISTS records_by_seq ON records(kind, seq);
"""


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


class Store:
    """Tables of PALs, tools, attachments, drafts, faces, id counters, and the account's
    other records (guardrails, objective sets, documents, conversations) by kind."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._depth = 0
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """A serialized, atomic write transaction (nested calls join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
            return row

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._conn.execute(sql, args)

    # counters -------------------------------------------------------------
    def next_counter(self, name: str) -> int:
        with self.write():
            row = self._one("SELECT value FROM counters WHERE name = ?", (name,))
            value = (row[0] if row else 0) + 1
            self._exec(
                "INSERT INTO counters(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return value

    def _next_seq(self, table: str) -> int:
        row = self._one(f"SELECT COALESCE(MAX(seq), 0) FROM {table}")
        return int(row[0]) + 1 if row else 1

    # pals -----------------------------------------------------------------
    def get_pal(self, pal_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM pals WHERE pal_id = ?", (pal_id,))
        return json.loads(row[0]) if row else None

    def pal_exists(self, pal_id: str) -> bool:
        return self._one("SELECT 1 FROM pals WHERE pal_id = ?", (pal_id,)) is not None

    def insert_pal(self, doc: dict[str, Any], username: str | None) -> None:
        with self.write():
            self._exec(
                "INSERT INTO pals(pal_id, seq, pal_type, conf_username, doc) VALUES (?, ?, ?, ?, ?)",
                (doc["pal_id"], self._next_seq("pals"), doc["pal_type"], username, _dumps(doc)),
            )

    def insert_pals_bulk(self, rows: list[tuple[dict[str, Any], str | None]]) -> None:
        with self.write():
            seq = self._next_seq("pals")
            with self._lock:
                self._conn.executemany(
                    "INSERT INTO pals(pal_id, seq, pal_type, conf_username, doc) VALUES (?, ?, ?, ?, ?)",
                    [
                        (doc["pal_id"], seq + i, doc["pal_type"], username, _dumps(doc))
                        for i, (doc, username) in enumerate(rows)
                    ],
                )

    def update_pal(self, doc: dict[str, Any], username: str | None) -> None:
        self._exec(
            "UPDATE pals SET doc = ?, conf_username = ? WHERE pal_id = ?",
            (_dumps(doc), username, doc["pal_id"]),
        )

    def delete_pal(self, pal_id: str) -> None:
        with self.write():
            self._exec("DELETE FROM pals WHERE pal_id = ?", (pal_id,))
            self._exec("DELETE FROM attachments WHERE pal_id = ?", (pal_id,))
            self._exec("DELETE FROM drafts WHERE pal_id = ?", (pal_id,))

    def username_owner(self, username: str) -> str | None:
        row = self._one("SELECT pal_id FROM pals WHERE conf_username = ?", (username,))
        return str(row[0]) if row else None

    def list_pals(
        self, pal_type: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        where, args = ("WHERE pal_type = ?", (pal_type,)) if pal_type else ("", ())
        with self._lock:
            total = self._conn.execute(f"SELECT COUNT(*) FROM pals {where}", args).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT doc FROM pals {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [json.loads(r[0]) for r in rows], int(total)

    # attachments ----------------------------------------------------------
    def attached_tool_ids(self, pal_id: str) -> list[str]:
        return [
            r[0]
            for r in self._all(
                "SELECT tool_id FROM attachments WHERE pal_id = ? ORDER BY seq", (pal_id,)
            )
        ]

    def attached_tool_ids_many(self, pal_ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {p: [] for p in pal_ids}
        if not pal_ids:
            return out
        marks = ",".join("?" * len(pal_ids))
        for pal_id, tool_id in self._all(
            f"SELECT pal_id, tool_id FROM attachments WHERE pal_id IN ({marks}) ORDER BY seq",
            tuple(pal_ids),
        ):
            out[pal_id].append(tool_id)
        return out

    def set_attachments(self, pal_id: str, tool_ids: list[str]) -> None:
        """Make the attached set exactly ``tool_ids`` keeping the order of those already attached."""
        with self.write():
            current = self.attached_tool_ids(pal_id)
            for tool_id in current:
                if tool_id not in tool_ids:
                    self._exec(
                        "DELETE FROM attachments WHERE pal_id = ? AND tool_id = ?",
                        (pal_id, tool_id),
                    )
            seq = self._next_seq("attachments")
            for tool_id in tool_ids:
                if tool_id not in current:
                    self._exec(
                        "INSERT INTO attachments(pal_id, tool_id, seq) VALUES (?, ?, ?)",
                        (pal_id, tool_id, seq),
                    )
                    seq += 1

    def detach_everywhere(self, tool_id: str) -> None:
        self._exec("DELETE FROM attachments WHERE tool_id = ?", (tool_id,))

    # tools ----------------------------------------------------------------
    def get_tool(self, tool_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM tools WHERE tool_id = ? AND deleted = 0", (tool_id,))
        return json.loads(row[0]) if row else None

    def tool_id_by_name(self, name: str) -> str | None:
        row = self._one("SELECT tool_id FROM tools WHERE name = ? AND deleted = 0", (name,))
        return str(row[0]) if row else None

    def tool_id_taken(self, tool_id: str) -> bool:
        return self._one("SELECT 1 FROM tools WHERE tool_id = ?", (tool_id,)) is not None

    def live_tools(self) -> list[dict[str, Any]]:
        return [
            json.loads(r[0])
            for r in self._all("SELECT doc FROM tools WHERE deleted = 0 ORDER BY seq")
        ]

    def insert_tool(self, doc: dict[str, Any]) -> None:
        with self.write():
            self._exec(
                "INSERT INTO tools(tool_id, seq, name, deleted, doc) VALUES (?, ?, ?, 0, ?)",
                (doc["tool_id"], self._next_seq("tools"), doc["name"], _dumps(doc)),
            )

    def update_tool(self, doc: dict[str, Any]) -> None:
        self._exec(
            "UPDATE tools SET doc = ?, name = ? WHERE tool_id = ?",
            (_dumps(doc), doc["name"], doc["tool_id"]),
        )

    def soft_delete_tool(self, tool_id: str) -> None:
        with self.write():
            self._exec("UPDATE tools SET deleted = 1 WHERE tool_id = ?", (tool_id,))
            self.detach_everywhere(tool_id)

    # drafts ---------------------------------------------------------------
    def get_draft(self, pal_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT draft FROM drafts WHERE pal_id = ?", (pal_id,))
        return json.loads(row[0]) if row else None

    def set_draft(self, pal_id: str, draft: dict[str, Any]) -> None:
        self._exec(
            "INSERT INTO drafts(pal_id, draft) VALUES (?, ?) "
            "ON CONFLICT(pal_id) DO UPDATE SET draft = excluded.draft",
            (pal_id, _dumps(draft)),
        )

    def clear_draft(self, pal_id: str) -> bool:
        with self.write():
            existed = self.get_draft(pal_id) is not None
            self._exec("DELETE FROM drafts WHERE pal_id = ?", (pal_id,))
            return existed

    # faces ----------------------------------------------------------------
    def face_exists(self, face_id: str) -> bool:
        return self._one("SELECT 1 FROM faces WHERE face_id = ?", (face_id,)) is not None

    def put_face(self, doc: dict[str, Any]) -> None:
        with self.write():
            self._exec(
                "INSERT INTO faces(face_id, seq, doc) VALUES (?, ?, ?) "
                "ON CONFLICT(face_id) DO UPDATE SET doc = excluded.doc",
                (doc["face_id"], self._next_seq("faces"), _dumps(doc)),
            )

    def faces(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._all("SELECT doc FROM faces ORDER BY seq")]

    # other records ----------------------------------------------------------
    def put_record(self, kind: str, record_id: str, doc: dict[str, Any]) -> None:
        """Insert, or replace keeping the record's place in its list."""
        with self.write():
            row = self._one(
                "SELECT seq FROM records WHERE kind = ? AND record_id = ?", (kind, record_id)
            )
            seq = row[0] if row else self._next_seq("records")
            self._exec(
                "INSERT INTO records(kind, record_id, seq, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(kind, record_id) DO UPDATE SET doc = excluded.doc",
                (kind, record_id, seq, _dumps(doc)),
            )

    def get_record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT doc FROM records WHERE kind = ? AND record_id = ?", (kind, record_id)
        )
        return json.loads(row[0]) if row else None

    def records(self, kind: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT doc FROM records WHERE kind = ? ORDER BY seq", (kind,))
        return [json.loads(r[0]) for r in rows]

    def delete_record(self, kind: str, record_id: str) -> bool:
        with self.write():
            found = self.get_record(kind, record_id) is not None
            self._exec("DELETE FROM records WHERE kind = ? AND record_id = ?", (kind, record_id))
            return found

    # whole store ----------------------------------------------------------
    def wipe(self) -> None:
        """Delete every document; id counters are kept so ids are never reused."""
        with self.write():
            for table in ("pals", "tools", "attachments", "drafts", "faces", "records"):
                self._exec(f"DELETE FROM {table}")
