"""The `palfleet` command line.

Each sub-command lives in its own module exposing ``register(app)``; heavy imports
(FastAPI, Pulumi, httpx) happen inside the command functions so `palfleet --help`
stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="palfleet",
    no_args_is_help=True,
    add_completion=False,
    help="Declare a fleet of Tavus PALs in Git and reconcile it.",
)


@app.callback()
def _root() -> None:
    """Declare a fleet of Tavus PALs in Git and reconcile it."""


# Modules under pal_provider.cli that contribute commands, in help order.
COMMAND_MODULES: list[str] = [
    "demo",
    "emulator",
    "validate",
    "gitops",
    "models",
    "llm",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"pal_provider.cli.{_name}").register(app)


def main() -> None:
    app()
