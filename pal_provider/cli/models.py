"""``palfleet models`` and ``palfleet models upgrade`` (pal_provider.gitops.models)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pal_provider.cli.output import emit

RootOption = Annotated[
    Path, typer.Option("--root", help="directory holding the stacks and models.yaml")
]
FormatOption = Annotated[str, typer.Option("--format", help="text or json")]


def register(app: typer.Typer) -> None:
    models = typer.Typer(
        invoke_without_command=True,
        help="The Tavus-hosted model catalog, and moving PALs off deprecated models.",
    )
    models.callback()(show)
    models.command("upgrade")(upgrade)
    app.add_typer(models, name="models")


def _format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        emit("", f"palfleet: --format must be text or json (got {fmt!r})\n", 1)
    return fmt


def show(ctx: typer.Context, root: RootOption = Path("stacks"), fmt: FormatOption = "text") -> None:
    """Print the catalog (the shipped one merged with <root>/models.yaml)."""
    if ctx.invoked_subcommand is not None:
        return
    from pal_provider.declaration import catalog
    from pal_provider.gitops.models import render_catalog

    catalog.use_project_catalog(root / catalog.PROJECT_CATALOG_NAME)
    try:
        merged = catalog.load_catalog()
    except (catalog.CatalogError, OSError) as exc:
        emit("", f"palfleet: {exc}\n", 1)
    typer.echo(render_catalog(merged, _format(fmt)), nl=False)


def upgrade(
    stack: Annotated[
        str | None, typer.Option("--stack", "-s", help="one stack (default: every stack)")
    ] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="every stack under --root")] = False,
    root: RootOption = Path("stacks"),
    write: Annotated[bool, typer.Option("--write", help="rewrite fleet.yaml in place")] = False,
    fmt: FormatOption = "text",
) -> None:
    """Move every PAL and default on a deprecated model to its replacement, as a diff.

    Exit 0: nothing to move, or moved with --write; 2: moves pending (dry run); 1: an error.
    """
    from pal_provider.gitops.models import run_upgrade

    if stack is not None and all_stacks:
        emit("", "palfleet: give either --stack NAME or --all, not both\n", 1)
    result = run_upgrade([stack] if stack else None, root, write, _format(fmt))
    emit(result.stdout, result.stderr, result.exit_code)
