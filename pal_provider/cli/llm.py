"""``palfleet llm check``: prove each custom LLM before a PAL goes live on it
(pal_provider.gitops.llm_check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pal_provider.cli.output import emit


def register(app: typer.Typer) -> None:
    llm = typer.Typer(no_args_is_help=True, help="Custom (OpenAI-compatible) LLM endpoints.")
    llm.command("check")(check)
    app.add_typer(llm, name="llm")


def check(
    stack: Annotated[str, typer.Option("--stack", "-s", help="stack name (e.g. dev)")],
    pal: Annotated[
        list[str] | None, typer.Option("--pal", help="check only this PAL (repeatable)")
    ] = None,
    max_ttft: Annotated[
        float | None,
        typer.Option("--max-ttft", help="fail when the first token takes longer (ms)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or json")] = "text",
    root: Annotated[
        Path, typer.Option("--root", help="directory holding Pulumi.<stack>.yaml and <stack>/")
    ] = Path("stacks"),
    secrets_file: Annotated[
        Path | None,
        typer.Option("--secrets-file", help="YAML/JSON mapping of config key to secret value"),
    ] = None,
    secret_env: Annotated[
        list[str] | None,
        typer.Option("--secret-env", help="KEY=ENV_VAR: a secret from the environment"),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per request")] = 30.0,
) -> None:
    """Send every PAL on a custom LLM the request Tavus would send and check the answer.

    Exit 0 when every endpoint streams a valid answer (within --max-ttft), 1 otherwise.
    """
    from pal_provider.gitops.llm_check import run_llm_check

    result = run_llm_check(
        stack,
        root,
        pal or [],
        secrets_file=secrets_file,
        secret_env=secret_env or [],
        fmt=fmt,
        max_ttft_ms=max_ttft,
        timeout_s=timeout,
    )
    emit(result.stdout, result.stderr, result.exit_code)
