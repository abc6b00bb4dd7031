"""``palfleet plan`` and ``palfleet drift``: one comparison, two readings.

* plan: what applying the declaration would change in the live account. Exit 0 when nothing
  would be written, 2 when something would, 1 on an error (invalid declaration, API failure,
  or a plan that cannot be completed: an ambiguous ``pal_name`` or an adopt id not found;
  the plan is still printed then).
* drift: which live PALs differ from the declaration, which declared PALs are missing live,
  and which live user PALs are not declared. Rule for "not declared": a live user PAL
  (``pal_type: user``; stock PALs are never considered) that no declared PAL of this stack
  matches, neither by adopt id nor by ``pal_name``. The stack's account is taken to be the
  fleet's: every user PAL in it is either declared or reported. Exit 0 clean, 2 drift, 1
  error (as for plan).

Requests: the PAL list's page 1, then its other pages ``concurrency`` at a time (page 1 gives
``total_count``), and the tools list beside them; attachments come from each listed PAL's
``tool_ids``, with one ``GET /pals/{id}/tools`` only for a PAL whose ``tool_ids`` name a tool
the list does not hold. The reads start once the file parses, while it is validated; nothing
is compared, and the reads are dropped, when the declaration has errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pal_provider.api import PalApiError, PalClient
from pal_provider.core.records import GUARDRAIL, OBJECTIVES

from .baseline import declaration_at, with_secret_reference_changes
from .compare import FleetComparison, attachment_reads, compare_fleet, declared_forms
from .live import (
    DEFAULT_CONCURRENCY,
    LiveAccount,
    Progress,
    check_concurrency,
    read_attached,
    read_pals,
    read_records,
    read_tools,
)
from .render import Context, Mode, render, render_error
from .session import (
    DEFAULT_API_KEY_ENV,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    account_error,
    api_key_from_env,
    base_url_for,
    configured_base_url,
    connect,
    declared_base_url,
    load_declared,
    scrub,
)

FORMATS = ("text", "markdown", "json")
T = TypeVar("T")

# The threads that read the account while the declaration is validated.
READ_THREAD_NAME = "palfleet-read"


@dataclass(frozen=True)
class PlanOptions:
    stack: str
    root: Path = Path("stacks")
    fmt: str = "text"
    api_key_env: str = DEFAULT_API_KEY_ENV
    api_base_url: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    progress: bool | None = None
    pals: tuple[str, ...] = ()
    base: str | None = None


@dataclass(frozen=True)
class CommandOutput:
    stdout: str
    stderr: str
    exit_code: int


def exit_code_for(cmp: FleetComparison, mode: Mode) -> int:
    if cmp.blocked:
        return EXIT_ERROR
    drifted = cmp.has_changes or (mode == "drift" and bool(cmp.not_declared))
    return EXIT_CHANGES if drifted else EXIT_OK


@dataclass(frozen=True)
class Compared:
    comparison: FleetComparison
    warnings: list[str]
    api_key: str
    base_url: str


@dataclass(frozen=True)
class Wanted:
    """Which account records a stack's comparison needs beside its PALs and tools."""

    guardrails: bool
    objectives: bool

    @classmethod
    def of(cls, document: Any) -> Wanted:
        declared = document if isinstance(document, dict) else {}
        return cls(bool(declared.get("guardrails")), bool(declared.get("objectives")))


def _in_background(fn: Callable[..., T], *args: Any) -> Future[T]:
    """``fn(*args)`` on a daemon thread: a read nobody waits for any more (the declaration
    turned out invalid) never holds the command up, even against a host that does not answer."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name=READ_THREAD_NAME).start()
    return future


def _read_live(
    client: PalClient, concurrency: int, progress: Progress, wanted: Wanted
) -> LiveAccount:
    """The account's PALs, with its tools (and the guardrails and objective sets the stack
    declares) read beside the PAL pages; attachments come later, from the listed PALs."""
    tools = _in_background(read_tools, client)
    guardrails = _in_background(read_records, client, GUARDRAIL) if wanted.guardrails else None
    objectives = _in_background(read_records, client, OBJECTIVES) if wanted.objectives else None
    pals = read_pals(client, progress, concurrency)
    return LiveAccount(
        pals=pals,
        tools=tools.result(),
        guardrails=guardrails.result() if guardrails else [],
        objectives=objectives.result() if objectives else [],
    )


def compare_stack(options: PlanOptions) -> Compared:
    """The comparison of a stack's declaration with its live account; raises
    :class:`CommandError` (a broken declaration, an unknown ``--pal``, an address the key must
    not go to: nothing is compared, and nothing is ever written)."""
    if options.fmt not in FORMATS:
        raise CommandError(f"--format must be one of {', '.join(FORMATS)} (got {options.fmt!r})")
    try:
        concurrency = check_concurrency(options.concurrency)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    api_key = api_key_from_env(options.api_key_env)
    progress = Progress(options.progress)
    early: list[tuple[PalClient, Future[LiveAccount]]] = []

    def begin_reading(document: Any) -> None:
        # The account is read (GETs only) while the parsed file is validated, which takes
        # as long as the reads; a declaration with errors is reported and the reads dropped.
        declared = document.get("pals") if isinstance(document, dict) else None
        if not set(options.pals) <= set(declared if isinstance(declared, dict) else ()):
            return  # an unknown --pal: reported below, before any request
        url = (
            options.api_base_url
            or configured_base_url(options.stack, options.root)
            or declared_base_url(document)
        )
        try:
            client = connect(url, api_key) if url else None
        except CommandError:
            return  # reported below, once the declaration is known to be valid
        if client is not None:
            early.append(
                (
                    client,
                    _in_background(_read_live, client, concurrency, progress, Wanted.of(document)),
                )
            )

    loaded = load_declared(options.stack, options.root, on_parsed=begin_reading)
    unknown = [name for name in options.pals if name not in loaded.fleet.pals]
    if unknown:
        raise CommandError(
            f"--pal {', '.join(unknown)}: no such PAL in stack {options.stack!r} -- fix: use a "
            f"logical name from pals: ({', '.join(sorted(loaded.fleet.pals))})"
        )
    baseline = declaration_at(options.base, options.stack, options.root) if options.base else None
    url = base_url_for(options.stack, options.root, loaded.fleet.api_base_url, options.api_base_url)
    client = connect(url, api_key)
    forms = declared_forms(loaded.fleet)  # while the account is read
    # get_client pools one client per account: the early reads used this very client or
    # another account's (a URL the declaration then overrode), whose reads are dropped.
    reading = next((read for c, read in early if c is client), None)
    try:
        wanted_records = Wanted(bool(loaded.fleet.guardrails), bool(loaded.fleet.objectives))
        read = (
            reading.result()
            if reading
            else _read_live(client, concurrency, progress, wanted_records)
        )
        wanted = attachment_reads(loaded.fleet)
        attached = read_attached(
            client,
            [pal_id for pal_id, pal in read.pals.items() if wanted(pal)],
            concurrency=concurrency,
            progress=progress,
            pals=read.pals,
            tools=read.tools,
        )
    except PalApiError as exc:
        raise account_error(exc, client.base_url, options.stack) from None
    live = replace(read, attached=attached)
    comparison = compare_fleet(loaded.fleet, live, forms)
    comparison = with_secret_reference_changes(comparison, baseline, loaded.fleet)
    if options.pals:
        comparison = comparison.only(options.pals, loaded.fleet)
    return Compared(comparison, loaded.warnings, api_key, client.base_url)


def run(options: PlanOptions, mode: Mode) -> CommandOutput:
    """Run plan or drift; never raises for user errors (they become exit code 1)."""
    try:
        compared = compare_stack(options)
    except CommandError as exc:
        # A pull-request comment built from --format markdown or json must not post empty.
        shown = "" if options.fmt == "text" else render_error(exc, options.stack, mode, options.fmt)
        return CommandOutput(shown, exc.render(), EXIT_ERROR)
    secrets = [compared.api_key]
    context = Context(
        source=str(options.root / options.stack / "fleet.yaml"),
        account=compared.base_url,
        warnings=tuple(compared.warnings),
        pals=options.pals,
    )
    stdout = scrub(render(compared.comparison, mode, options.fmt, context), secrets)
    return CommandOutput(stdout, "", exit_code_for(compared.comparison, mode))
