"""What plan, drift and export share: loading a stack, the API key, the client, exit codes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pal_provider.api import PalClient, get_client
from pal_provider.api import redact as api_redact
from pal_provider.declaration import (
    FleetDeclaration,
    LoadResult,
    ResolvedFleet,
    catalog,
    load_stack,
)
from pal_provider.declaration.yaml_source import read_yaml

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_CHANGES: Final = 2
DEFAULT_API_KEY_ENV: Final = "TAVUS_API_KEY"
BASE_URL_CONFIG_KEY: Final = "palfleet:apiBaseUrl"


class CommandError(Exception):
    """A failure the user can act on: the message is printed as is (no secret in it)."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def render(self) -> str:
        """The one error style of every command: ``palfleet: message``, details indented."""
        return "".join([f"palfleet: {self.message}\n", *(f"  {d}\n" for d in self.details)])


@dataclass(frozen=True)
class LoadedStack:
    declaration: FleetDeclaration
    fleet: ResolvedFleet
    warnings: list[str]


def load_declared(
    stack: str, root: Path, *, on_parsed: Callable[[Any], None] | None = None
) -> LoadedStack:
    """The validated, resolved declaration; invalid input raises with every finding."""
    result = load_stack(stack, root, on_parsed=on_parsed)
    if result.fleet is None or result.errors:
        raise CommandError(
            f"the fleet declaration of stack {stack!r} is invalid "
            f"(run `palfleet validate --stack {stack} --root {root}`)",
            details=[finding.render() for finding in result.errors],
        )
    return LoadedStack(
        declaration=result.fleet,
        fleet=result.resolved_fleet(),
        warnings=[finding.render() for finding in result.warnings],
    )


def api_key_from_env(variable: str) -> str:
    value = os.environ.get(variable, "")
    if not value.strip():
        raise CommandError(
            f"no API key: the environment variable {variable} is empty or unset -- fix: "
            f"export {variable}=<Tavus API key>, or name another variable with --api-key-env"
        )
    return value


def configured_base_url(stack: str, root: Path) -> str | None:
    """``palfleet:apiBaseUrl`` of ``Pulumi.<stack>.yaml`` when it is a plain string."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    data: Any = read_yaml(path.read_text(encoding="utf-8")).data
    config = data.get("config") if isinstance(data, dict) else None
    value = config.get(BASE_URL_CONFIG_KEY) if isinstance(config, dict) else None
    return value if isinstance(value, str) and value else None


def declared_base_url(document: Any) -> str | None:
    """``bindings.api_base_url`` of a parsed, not yet validated, declaration, when it is a string."""
    bindings = document.get("bindings") if isinstance(document, dict) else None
    url = bindings.get("api_base_url") if isinstance(bindings, dict) else None
    return url if isinstance(url, str) else None


def base_url_for(stack: str, root: Path, binding: str | None, override: str | None) -> str:
    """``--api-base-url``, else the stack config ``palfleet:apiBaseUrl``, else the binding."""
    url = override or configured_base_url(stack, root) or binding
    if not url:
        raise CommandError(
            f"no API base URL for stack {stack!r} -- fix: pass --api-base-url "
            "(e.g. https://tavusapi.com/v2)"
        )
    return url


def connect(base_url: str, api_key: str) -> PalClient:
    try:
        return get_client(base_url, api_key)
    except ValueError as exc:
        raise CommandError(
            f"cannot use the API: {api_redact(str(exc), secrets=[api_key])}"
        ) from None


def account_error(exc: Exception, base_url: str, stack: str) -> CommandError:
    """Reading the live account failed: the error, and for a local address that nothing
    answers, how to start the emulator there."""
    from urllib.parse import urlsplit

    from pal_provider.api import ConnectionFailed, is_loopback_host

    message = f"reading the live account at {base_url} failed: {exc}"
    if isinstance(exc, ConnectionFailed) and is_loopback_host(urlsplit(base_url).hostname or ""):
        message += f" -- fix: start the local emulator there: `palfleet emulator --stack {stack}`"
    return CommandError(message)


def scrub(text: str, secrets: list[str]) -> str:
    """Last line of defence: mask known secret strings (the API key) wherever they appear."""
    return str(api_redact(text, secrets=secrets, limit=None))


def load_text_stack(stack: str, text: str) -> tuple[LoadResult, str]:
    """``text`` loaded as the fleet.yaml of ``stack`` in a scratch directory, with the model
    catalog the project uses now; (result, the scratch path its findings mention)."""
    project_catalog = catalog.project_catalog_file()
    with tempfile.TemporaryDirectory(prefix="palfleet-text-") as scratch:
        (Path(scratch) / stack).mkdir()
        (Path(scratch) / stack / "fleet.yaml").write_text(text, encoding="utf-8")
        (Path(scratch) / f"Pulumi.{stack}.yaml").write_text("config: {}\n", encoding="utf-8")
        if project_catalog is not None:
            shutil.copy(project_catalog, Path(scratch) / catalog.PROJECT_CATALOG_NAME)
        result = load_stack(stack, Path(scratch))
    catalog.use_project_catalog(project_catalog)
    return result, scratch
