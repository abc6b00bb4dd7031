"""The stand-in's state file: a JSON checkpoint of resources, secrets encrypted at rest.

Modelled on Pulumi's passphrase secrets provider: a key is derived from the passphrase
(``PULUMI_CONFIG_PASSPHRASE`` / ``PULUMI_CONFIG_PASSPHRASE_FILE`` or an explicit argument) with
scrypt and a random per-checkpoint salt stored in the file; every secret value is replaced in the
file by ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"ciphertext": "<Fernet token>"}`` -- the same signature Pulumi state uses for secrets. A verifier
token lets a wrong passphrase fail with a clear message instead of a decryption error deep in a
run. Writes are atomic (temporary file in the same directory, fsync, ``os.replace``).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import secrets as stdlib_secrets
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, Field

from pal_engine import property_paths
from pal_engine.property_paths import PropertyPath
from pal_engine.secrets import masked
from pal_engine.wire import SECRET_SIG, SIG_KEY

CHECKPOINT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
PROVIDER_TYPE = "pulumi:providers:pulumi-python"
_VERIFIER_PLAINTEXT = b"palfleet-engine-checkpoint"
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1
# How much of a checkpoint prepare_key() reads to find the salt.
_HEAD_BYTES = 4096


class CheckpointError(RuntimeError):
    """The checkpoint cannot be read (wrong passphrase, corrupt or foreign file)."""


class ResourceState(BaseModel):
    """One resource as recorded after an operation. Values are plaintext in memory.

    ``secret_inputs`` / ``secret_outputs`` are Pulumi property paths (``password``,
    ``layers.llm.api_key``, ``items[0]``) whose values are secret; ``repr()`` masks them.
    """

    model_config = ConfigDict(frozen=True)

    urn: str
    type: str
    name: str
    id: str = ""
    custom: bool = True
    parent: str = ""
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    secret_inputs: frozenset[str] = frozenset()
    secret_outputs: frozenset[str] = frozenset()
    dependencies: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False

    @property
    def input_secret_paths(self) -> set[PropertyPath]:
        return {property_paths.parse_path(path) for path in self.secret_inputs}

    @property
    def output_secret_paths(self) -> set[PropertyPath]:
        return {property_paths.parse_path(path) for path in self.secret_outputs}

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            if key == "inputs":
                yield key, masked(value, self.input_secret_paths)
            elif key == "outputs":
                yield key, masked(value, self.output_secret_paths)
            else:
                yield key, value


OperationType = Literal["creating", "updating", "deleting"]


class PendingOperation(BaseModel):
    """A step that started and has not finished: written before the provider is called and
    cleared after it answers (``pkg/backend/snapshot.go``: ``markOperationPending`` /
    ``markOperationComplete``). Found in a checkpoint, it means the engine was interrupted."""

    model_config = ConfigDict(frozen=True)

    type: OperationType
    resource: ResourceState


class Snapshot(BaseModel):
    """Everything the checkpoint holds: resources (dependencies first), stack outputs, steps
    interrupted while in flight, and the default dynamic provider's configuration.

    ``provider`` is the state of ``pulumi:providers:pulumi-python::default``: its inputs are
    the whole stack config at the last ``up`` (``deploy/target.go``: ``GetPackageConfig``
    passes dynamic providers every key), which is what refresh and destroy configure the
    provider with (``Deployment.EnsureProvider`` loads it from state, not from the program).
    """

    model_config = ConfigDict(frozen=True)

    project: str = ""
    stack: str = ""
    resources: tuple[ResourceState, ...] = ()
    outputs: dict[str, Any] = Field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    pending_operations: tuple[PendingOperation, ...] = ()
    provider: ResourceState | None = None

    def by_urn(self) -> dict[str, ResourceState]:
        return {resource.urn: resource for resource in self.resources}

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            if key == "outputs":
                paths = {property_paths.parse_path(path) for path in self.secret_outputs}
                yield key, masked(value, paths)
            else:
                yield key, value


def passphrase_from_environment() -> str | None:
    """``PULUMI_CONFIG_PASSPHRASE``, else the contents of ``PULUMI_CONFIG_PASSPHRASE_FILE``."""
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    passphrase_file = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if passphrase_file:
        return Path(passphrase_file).read_text().rstrip("\r\n")
    return None


class Checkpoint:
    """Load and save a :class:`Snapshot` at ``path``; secrets encrypted with ``passphrase``."""

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = Path(path)
        resolved = passphrase if passphrase is not None else passphrase_from_environment()
        if resolved is None:
            raise CheckpointError(
                "no passphrase for the checkpoint's secrets: set PULUMI_CONFIG_PASSPHRASE "
                "(or PULUMI_CONFIG_PASSPHRASE_FILE), or pass passphrase="
            )
        self._passphrase = resolved
        # The salt of the file as loaded (passphrase verified) or first written; the cipher's
        # own salt is the one its key was derived for.
        self._file_salt: bytes | None = None
        self._salt: bytes | None = None
        self._fernet: Fernet | None = None
        self._key_lock = threading.Lock()
        # Each resource's stored form as JSON text, by identity (states are frozen): an unchanged
        # resource is neither encrypted nor encoded again when the file is rewritten.
        self._written: dict[int, tuple[ResourceState, str]] = {}

    # encryption ------------------------------------------------------------------------------

    def _cipher(self, salt: bytes) -> Fernet:
        with self._key_lock:
            if self._fernet is None or self._salt != salt:
                kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
                key = kdf.derive(self._passphrase.encode())
                self._fernet = Fernet(base64.urlsafe_b64encode(key))
                self._salt = salt
            return self._fernet

    def prepare_key(self) -> None:
        """Derive the key on a background thread (scrypt takes about 80 ms), for the salt on
        file or, for a checkpoint not written yet, for the salt its first write will use.

        The CLI's passphrase provider derives its key before the update starts; here the work
        overlaps the start of the provider server instead of holding up the first load or the
        first write. A failure is left for that load or write to report.
        """

        def derive() -> None:
            try:
                salt = self._salt_on_file() if self.path.is_file() else None
                self._cipher(salt or self._salt or stdlib_secrets.token_bytes(16))
            except Exception:  # load() and save() derive again and report it
                pass

        threading.Thread(target=derive, name="checkpoint-key", daemon=True).start()

    def _salt_on_file(self) -> bytes | None:
        """The salt from the head of the file (``save`` writes ``encryption`` before the
        resources), without parsing a large stack twice; None when it is not there."""
        try:
            with self.path.open("rb") as handle:
                head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
            start = head.index('"encryption":') + len('"encryption":')
            encryption, _ = json.JSONDecoder().raw_decode(head, start)
            return base64.b64decode(encryption["salt"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _encrypt_paths(
        self, fernet: Fernet, value: dict[str, Any], paths: frozenset[str]
    ) -> dict[str, Any]:
        result = copy.deepcopy(value)
        for path in property_paths.outermost(property_paths.parse_path(p) for p in paths):
            if property_paths.exists(result, path):
                plaintext = json.dumps(property_paths.get(result, path)).encode()
                token = fernet.encrypt(plaintext).decode()
                property_paths.put(result, path, {SIG_KEY: SECRET_SIG, "ciphertext": token})
        return result

    def _decrypt_tree(
        self, fernet: Fernet, value: dict[str, Any]
    ) -> tuple[dict[str, Any], frozenset[str]]:
        found: set[str] = set()

        def walk(item: Any, path: PropertyPath) -> Any:
            if isinstance(item, dict):
                if item.get(SIG_KEY) == SECRET_SIG and "ciphertext" in item:
                    found.add(property_paths.format_path(path))
                    try:
                        return json.loads(fernet.decrypt(item["ciphertext"].encode()))
                    except InvalidToken as error:
                        raise CheckpointError(
                            f"{self.path}: a secret cannot be decrypted with this passphrase"
                        ) from error
                walked = {key: walk(child, (*path, key)) for key, child in item.items()}
                # No secret below: keep the parsed object itself rather than a copy of it.
                return item if all(walked[k] is item[k] for k in item) else walked
            if isinstance(item, list):
                items = [walk(child, (*path, index)) for index, child in enumerate(item)]
                return item if all(a is b for a, b in zip(items, item, strict=True)) else items
            return item

        plain = {key: walk(child, (key,)) for key, child in value.items()}
        return plain, frozenset(found)

    # load / save -----------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> Snapshot:
        """The stored snapshot, or an empty one when the file does not exist yet."""
        if not self.path.is_file():
            return Snapshot()
        try:
            document = json.loads(self.path.read_text())
            encryption = document["encryption"]
            salt = base64.b64decode(encryption["salt"])
            version = document["version"]
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"{self.path} is not a palfleet engine checkpoint: {error}"
            ) from error
        if version not in _READABLE_VERSIONS:
            raise CheckpointError(f"{self.path}: unsupported checkpoint version {version!r}")
        fernet = self._cipher(salt)
        try:
            fernet.decrypt(encryption["verifier"].encode())
        except InvalidToken as error:
            raise CheckpointError(
                f"{self.path}: incorrect passphrase (PULUMI_CONFIG_PASSPHRASE does not match the "
                "one this checkpoint was written with)"
            ) from error
        self._file_salt = salt
        resources = [self._read_resource(fernet, raw) for raw in document.get("resources", [])]
        pending = [
            PendingOperation(
                type=raw["type"], resource=self._read_resource(fernet, raw["resource"])
            )
            for raw in document.get("pending_operations", [])
        ]
        provider_raw = document.get("provider")
        provider = self._read_resource(fernet, provider_raw) if provider_raw else None
        stack_outputs, secret_stack_outputs = self._decrypt_tree(
            fernet, document.get("outputs", {})
        )
        return Snapshot(
            project=document.get("project", ""),
            stack=document.get("stack", ""),
            resources=tuple(resources),
            outputs=stack_outputs,
            secret_outputs=secret_stack_outputs,
            pending_operations=tuple(pending),
            provider=provider,
        )

    def _read_resource(self, fernet: Fernet, raw: dict[str, Any]) -> ResourceState:
        raw = dict(raw)
        inputs, secret_inputs = self._decrypt_tree(fernet, raw.pop("inputs", {}))
        outputs, secret_outputs = self._decrypt_tree(fernet, raw.pop("outputs", {}))
        # A dynamic resource's outputs repeat its inputs: share the equal values (states are
        # never mutated in place), so a large stack is held in memory once, not twice.
        outputs = {
            key: inputs[key] if key in inputs and inputs[key] == value else value
            for key, value in outputs.items()
        }
        return ResourceState(
            **raw,
            inputs=inputs,
            outputs=outputs,
            secret_inputs=secret_inputs,
            secret_outputs=secret_outputs,
        )

    def _write_resource(self, fernet: Fernet, resource: ResourceState) -> str:
        cached = self._written.get(id(resource))
        if cached is not None and cached[0] is resource:
            return cached[1]
        text = _compact(self._stored_form(fernet, resource))
        self._written[id(resource)] = (resource, text)
        return text

    def _stored_form(self, fernet: Fernet, resource: ResourceState) -> dict[str, Any]:
        raw = resource.model_dump(
            mode="json", exclude={"inputs", "outputs", "secret_inputs", "secret_outputs"}
        )
        raw["inputs"] = self._encrypt_paths(fernet, resource.inputs, resource.secret_inputs)
        raw["outputs"] = self._encrypt_paths(fernet, resource.outputs, resource.secret_outputs)
        return raw

    def save(self, snapshot: Snapshot) -> None:
        if self._file_salt is None and self.path.is_file():
            self.load()  # adopt the existing salt (and check the passphrase) before rewriting
        # A first write uses the salt prepare_key() derived a key for, if any.
        salt = self._file_salt or self._salt or stdlib_secrets.token_bytes(16)
        if salt != self._file_salt:
            self._written.clear()
        fernet = self._cipher(salt)
        resources = [self._write_resource(fernet, resource) for resource in snapshot.resources]
        pending = [
            _object_text(
                [
                    ("type", _compact(op.type)),
                    ("resource", self._write_resource(fernet, op.resource)),
                ]
            )
            for op in snapshot.pending_operations
        ]
        provider = self._write_resource(fernet, snapshot.provider) if snapshot.provider else "null"
        live = {
            id(r)
            for r in (*snapshot.resources, *(op.resource for op in snapshot.pending_operations))
        }
        self._written = {key: entry for key, entry in self._written.items() if key in live}
        encryption = {
            "cipher": "fernet",
            "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "verifier": fernet.encrypt(_VERIFIER_PLAINTEXT).decode(),
        }
        outputs = self._encrypt_paths(fernet, snapshot.outputs, snapshot.secret_outputs)
        # Compact, and spliced from the cached texts: the file is rewritten at every step.
        document = _object_text(
            [
                ("version", _compact(CHECKPOINT_VERSION)),
                ("kind", _compact("palfleet-engine-checkpoint")),
                ("project", _compact(snapshot.project)),
                ("stack", _compact(snapshot.stack)),
                ("encryption", _compact(encryption)),
                ("resources", "[" + ",".join(resources) + "]"),
                ("outputs", _compact(outputs)),
                ("pending_operations", "[" + ",".join(pending) + "]"),
                ("provider", provider),
            ]
        )
        self._write_atomically(document + "\n")
        self._file_salt = salt

    def _write_atomically(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _object_text(members: list[tuple[str, str]]) -> str:
    """A JSON object from its members' names and already encoded values."""
    return "{" + ",".join(f"{_compact(name)}:{text}" for name, text in members) + "}"
