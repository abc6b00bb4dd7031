"""``Record``: a dynamic resource stored as ``<recordsDir>/<id>.json``.

The directory comes from the stack config ``sample:recordsDir`` (delivered through the dynamic
server's ``Configure``), so the provider process and the tests see the same files.

Behaviour hooks for tests, all driven by inputs:
* ``title == ""`` -> Check failure on ``title``; ``kind`` change -> replace;
* ``fail_on`` containing ``"create"``/``"update"``/``"delete"`` -> that call raises, quoting
  ``password`` when present so the tests can prove redaction;
* ``sleep`` (seconds) -> create and update take that long (interruption tests);
* ``comment`` is stored but not compared: changing it alone is a same step.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

_COMPARED = ("kind", "title", "shelf_id", "password", "fail_on", "note")


class RecordProvider(ResourceProvider):
    records_dir: Path | None = None

    def configure(self, req: ConfigureRequest) -> None:
        self.records_dir = Path(req.config.require("recordsDir"))

    def _path(self, id_: str) -> Path:
        assert self.records_dir is not None, "configure() was not called"
        return self.records_dir / f"{id_}.json"

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        if news.get("title") == "":
            failures.append(CheckFailure("title", "title must not be empty"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in _COMPARED if olds.get(key) != news.get(key)]
        replaces = ["kind"] if "kind" in changed else []
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def _fail(self, operation: str, props: dict[str, Any]) -> None:
        if operation in (props.get("fail_on") or []):
            raise RuntimeError(f"planted {operation} failure (password={props.get('password')})")

    def _write(self, id_: str, props: dict[str, Any]) -> dict[str, Any]:
        record = {key: props[key] for key in (*_COMPARED, "comment") if key in props}
        self._path(id_).write_text(json.dumps(record, sort_keys=True))
        token = f"tok-{id_[:8]}"
        return {**record, "token": token, "path": str(self._path(id_))}

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._fail("create", props)
        time.sleep(float(props.get("sleep") or 0))
        id_ = uuid.uuid4().hex
        return CreateResult(id_, self._write(id_, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._fail("update", news)
        time.sleep(float(news.get("sleep") or 0))
        return UpdateResult(self._write(id_, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = self._path(id_)
        if not path.exists():
            return ReadResult("", {})
        record = json.loads(path.read_text())
        outputs = {**record, "token": f"tok-{id_[:8]}", "path": str(path)}
        return ReadResult(id_, outputs, dict(record))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._fail("delete", props)
        self._path(id_).unlink(missing_ok=True)


class Record(Resource):
    token: pulumi.Output[str]
    path: pulumi.Output[str]
    title: pulumi.Output[str]

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RecordProvider(), name, {**props, "token": None, "path": None}, opts)
