"""`palfleet validate`: offline validation of stack declarations (no API calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(
    stack: Annotated[
        str | None, typer.Option("--stack", "-s", help="validate one stack (e.g. dev)")
    ] = None,
    all_stacks: Annotated[
        bool, typer.Option("--all", help="validate every stack under --root (the default)")
    ] = False,
    root: Annotated[
        Path, typer.Option("--root", help="directory holding Pulumi.<stack>.yaml and <stack>/")
    ] = Path("stacks"),
) -> None:
    """Check fleet declarations offline: exit 0 when clean or warnings only, 1 on any error."""
    from pal_provider.declaration import discover_stacks, load_stack

    if stack is not None and all_stacks:
        typer.echo("palfleet: give either --stack NAME or --all, not both", err=True)
        raise typer.Exit(1)
    names = [stack] if stack is not None else discover_stacks(root)
    if not names:
        typer.echo(
            f"palfleet: no stacks found under {root} -- fix: create {root}/<stack>/fleet.yaml",
            err=True,
        )
        raise typer.Exit(1)
    failed = False
    for name in names:
        result = load_stack(name, root)
        for finding in result.findings:
            typer.echo(finding.render())
        n_err, n_warn = len(result.errors), len(result.warnings)
        status = "ok" if result.ok else "FAILED"
        typer.echo(f"{name}: {status} ({n_err} error(s), {n_warn} warning(s))")
        failed = failed or not result.ok
    raise typer.Exit(1 if failed else 0)
