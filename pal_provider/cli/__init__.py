"""The `palfleet` command line.

Each sub-command lives in its own module exposing ``register(app)``; heavy imports
(FastAPI, Pulumi, httpx) happen inside the command functions so `palfleet --help`
stays fast.

Exit codes are the same everywhere: 0 success, 2 changes or drift only (so a CI job that
comments on 2 never misreads a typo), 1 any error, usage errors included, 130 cancelled
(Ctrl-C). Errors are one line prefixed ``palfleet:``.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Annotated

import typer

from pal_provider import __version__

EXIT_USAGE = 1
EXIT_CANCELLED = 130

app = typer.Typer(
    name="palfleet",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Declare a fleet of Tavus PALs in Git and reconcile it.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"palfleet {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="no colour (also: the NO_COLOR variable)")
    ] = False,
) -> None:
    """Declare a fleet of Tavus PALs in Git and reconcile it."""
    from pal_provider.cli import style

    style.configure(no_color=no_color)


# Modules under pal_provider.cli that contribute commands, in help order.
COMMAND_MODULES: list[str] = [
    "demo",
    "emulator",
    "stack_ops",
    "validate",
    "gitops",
    "models",
    "llm",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"pal_provider.cli.{_name}").register(app)


def _cancelled(_signum: int, _frame: object) -> None:
    """Ctrl-C: stop now, even while worker threads wait on slow requests (they would hold the
    interpreter's exit for as long as the request takes). Nothing palfleet writes is left
    half done: files are written whole, and `up` runs in its own process, which handles its
    Ctrl-C itself. A command that owns a child process (`demo`) puts the default handler back,
    so that Ctrl-C unwinds through its clean-up."""
    sys.stdout.flush()
    sys.stderr.write("palfleet: cancelled\n")
    sys.stderr.flush()
    os._exit(EXIT_CANCELLED)


def main(argv: list[str] | None = None) -> None:
    """The ``palfleet`` console script: click's own handling, with palfleet's exit codes."""
    signal.signal(signal.SIGINT, _cancelled)
    try:
        code = app(args=argv, prog_name="palfleet", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("palfleet: cancelled", err=True)
        sys.exit(EXIT_CANCELLED)
    except typer.TyperException as exc:  # typer's (vendored) click errors: usage, bad values
        if type(exc).__name__ == "NoArgsIsHelpError":  # `palfleet tools`: the help, as asked
            exc.show()  # type: ignore[attr-defined]
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} -h`)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"palfleet: {message}{where}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
