"""`palfleet validate`: offline validation of stack declarations (no API calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pal_provider.cli.output import emit


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
    fmt: Annotated[
        str, typer.Option("--format", help="text or json (schema palfleet.validate/1)")
    ] = "text",
) -> None:
    """Check fleet declarations offline: exit 0 when clean or warnings only, 1 on any error."""
    from pal_provider.declaration import discover_stacks, load_stack
    from pal_provider.gitops.formats import check_format, document, error_document
    from pal_provider.gitops.session import CommandError

    try:
        check_format(fmt)
        if stack is not None and all_stacks:
            raise CommandError("give either --stack NAME or --all, not both")
        names = [stack] if stack is not None else discover_stacks(root)
        if not names:
            raise CommandError(
                f"no stacks found under {root} -- fix: create {root}/<stack>/fleet.yaml"
            )
    except CommandError as exc:
        emit(error_document("validate", exc) if fmt == "json" else "", exc.render(), 1)
    results = [load_stack(name, root) for name in names]
    failed = any(not result.ok for result in results)
    if fmt == "json":
        stacks = [
            {
                "stack": result.stack,
                "ok": result.ok,
                "errors": len(result.errors),
                "warnings": len(result.warnings),
                "findings": [finding.model_dump() for finding in result.findings],
            }
            for result in results
        ]
        emit(document("palfleet.validate/1", ok=not failed, stacks=stacks), "", int(failed))
    lines: list[str] = []
    for result in results:
        lines += [finding.render() for finding in result.findings]
        n_err, n_warn = len(result.errors), len(result.warnings)
        status = "ok" if result.ok else "FAILED"
        lines.append(f"{result.stack}: {status} ({n_err} error(s), {n_warn} warning(s))")
    emit("\n".join(lines) + "\n", "", int(failed))
