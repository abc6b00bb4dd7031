"""How every command ends: its output (coloured on a terminal) and its exit code."""

from __future__ import annotations

import sys

import typer

from pal_provider.cli import style


def emit(stdout: str, stderr: str, code: int) -> None:
    if stderr:
        typer.echo(style.paint(stderr, sys.stderr), err=True, nl=False)
    if stdout:
        typer.echo(style.paint(stdout), nl=False)
    raise typer.Exit(code)
