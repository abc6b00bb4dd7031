"""``palfleet plan | drift | export | promote | tools audit``: the GitOps commands
(pal_provider.gitops)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pal_provider.cli.output import emit

RootOption = Annotated[
    Path, typer.Option("--root", help="directory holding Pulumi.<stack>.yaml and <stack>/")
]
StackOption = Annotated[str, typer.Option("--stack", "-s", help="stack name (e.g. dev)")]
KeyEnvOption = Annotated[
    str, typer.Option("--api-key-env", help="environment variable holding the Tavus API key")
]
JsonFormatOption = Annotated[
    str, typer.Option("--format", help="text or json (schemas: pal_provider/gitops/formats.py)")
]
BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base", help="Git revision to compare secret references with (e.g. origin/main)"
    ),
]
PalOption = Annotated[list[str] | None, typer.Option("--pal", help="only this PAL (repeatable)")]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--api-base-url", help="API base URL (overrides the stack's binding)"),
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("drift")(drift)
    app.command("export")(export)
    app.command("promote")(promote)
    tools = typer.Typer(no_args_is_help=True, help="Registry tools and the inline-tool migration.")
    tools.command("audit")(tools_audit)
    app.add_typer(tools, name="tools")


def tools_audit(
    stack: StackOption,
    root: RootOption = Path("stacks"),
    api_key_env: KeyEnvOption = "TAVUS_API_KEY",
    api_base_url: BaseUrlOption = None,
    fmt: JsonFormatOption = "text",
) -> None:
    """List every live PAL with inline tools and what the migration would do (exit 1 on clash)."""
    from pal_provider.gitops.audit import run_audit

    result = run_audit(stack, root, api_key_env, api_base_url, fmt)
    emit(result.stdout, result.stderr, result.exit_code)


def _compare(
    mode: str,
    stack: str,
    fmt: str,
    root: Path,
    api_key_env: str,
    api_base_url: str | None,
    concurrency: int,
    pals: list[str] | None,
    base: str | None,
) -> None:
    from pal_provider.gitops.plan import PlanOptions, run

    options = PlanOptions(
        stack=stack,
        root=root,
        fmt=fmt,
        api_key_env=api_key_env,
        api_base_url=api_base_url,
        concurrency=concurrency,
        pals=tuple(pals or ()),
        base=base,
    )
    result = run(options, "plan" if mode == "plan" else "drift")
    emit(result.stdout, result.stderr, result.exit_code)


def plan(
    stack: StackOption,
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or json")] = "text",
    root: RootOption = Path("stacks"),
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="list pages read at once (1-32)")
    ] = 8,
    api_key_env: KeyEnvOption = "TAVUS_API_KEY",
    api_base_url: BaseUrlOption = None,
    pal: PalOption = None,
    base: BaseOption = None,
) -> None:
    """What applying the declaration would change: exit 0 none, 2 changes, 1 error."""
    _compare("plan", stack, fmt, root, api_key_env, api_base_url, concurrency, pal, base)


def drift(
    stack: StackOption,
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or json")] = "text",
    root: RootOption = Path("stacks"),
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="list pages read at once (1-32)")
    ] = 8,
    api_key_env: KeyEnvOption = "TAVUS_API_KEY",
    api_base_url: BaseUrlOption = None,
    pal: PalOption = None,
    base: BaseOption = None,
) -> None:
    """How the live account differs from the declaration: exit 0 clean, 2 drift, 1 error."""
    _compare("drift", stack, fmt, root, api_key_env, api_base_url, concurrency, pal, base)


def export(
    stack: StackOption,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="export only these PALs (pal_name or pal_id); repeatable"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace an existing --output file")
    ] = False,
    fmt: JsonFormatOption = "text",
    root: RootOption = Path("stacks"),
    api_key_env: KeyEnvOption = "TAVUS_API_KEY",
    api_base_url: BaseUrlOption = None,
) -> None:
    """Write a fleet declaration that reproduces (and adopts) live user PALs."""
    from pal_provider.gitops.export import ExportOptions, run_export

    result = run_export(
        ExportOptions(
            stack=stack,
            select=tuple(select or ()),
            output=output,
            root=root,
            api_key_env=api_key_env,
            api_base_url=api_base_url,
            force=force,
            fmt=fmt,
        )
    )
    emit(result.stdout, result.stderr, result.exit_code)


def promote(
    source: Annotated[str, typer.Argument(help="stack to promote from (e.g. dev)")],
    target: Annotated[str, typer.Argument(help="stack to promote to (e.g. staging)")],
    pal: Annotated[
        list[str] | None, typer.Option("--pal", help="promote only these PALs; repeatable")
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="apply the change to the file")] = False,
    allow_removal: Annotated[
        bool, typer.Option("--allow-removal", help="allow removing PALs/tools from the target")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="overwrite a target edited on its own")
    ] = False,
    unverified: Annotated[
        bool,
        typer.Option(
            "--unverified", help="skip checking that the promoted PALs run unchanged in SOURCE"
        ),
    ] = False,
    root: RootOption = Path("stacks"),
    api_key_env: KeyEnvOption = "TAVUS_API_KEY",
    api_base_url: BaseUrlOption = None,
    fmt: JsonFormatOption = "text",
) -> None:
    """Copy intent (defaults, pals, tools) from SOURCE to TARGET; bindings stay.

    By default the promoted PALs and their tools must be applied and unchanged in SOURCE's
    live account (the key in --api-key-env). Exit 0 nothing to promote or written, 2 changes
    shown (dry run), 1 error or refused.
    """
    from pal_provider.gitops.promote import PromoteOptions, run_promote

    result = run_promote(
        PromoteOptions(
            source=source,
            target=target,
            pals=tuple(pal or ()),
            write=write,
            allow_removal=allow_removal,
            force=force,
            root=root,
            verify=not unverified,
            api_key_env=api_key_env,
            api_base_url=api_base_url,
            fmt=fmt,
        )
    )
    emit(result.stdout, result.stderr, result.exit_code)
