"""``palfleet preview | up | refresh | destroy --stack NAME``: reconcile a stack.

Through the real ``pulumi`` CLI when it is installed (the stack's secrets are Pulumi config,
set with ``pulumi config set --secret``); otherwise through palfleet's engine stand-in
(``python -m pal_engine``, the ``palfleet-engine`` distribution), which drives the same
program and dynamic provider over the engine's own gRPC interfaces. The stand-in keeps its
state in ``.palfleet/state/<stack>.json`` under the project, encrypted with
``PULUMI_CONFIG_PASSPHRASE``, and takes secrets from ``--secrets-file`` / ``--secret-env``
(never from the command line).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pal_provider.cli.companions import companion
from pal_provider.cli.output import emit

OPERATIONS = ("preview", "up", "refresh", "destroy")
STATE_DIR = Path(".palfleet") / "state"


def register(app: typer.Typer) -> None:
    for operation in OPERATIONS:
        app.command(operation, help=_HELP[operation])(_command(operation))


_HELP = {
    "preview": "Show what `up` would do to the stack (pulumi preview).",
    "up": "Reconcile the stack's PALs and tools with its declaration (pulumi up).",
    "refresh": "Read the live PALs and tools into the stack's state (pulumi refresh).",
    "destroy": "Delete the stack's PALs and tools (pulumi destroy).",
}


def pulumi_command(operation: str, stack: str, project: Path) -> list[str]:
    unattended = ["--yes"] if operation in ("up", "refresh", "destroy") else []
    return ["pulumi", operation, "--stack", stack, "--cwd", str(project), *unattended]


def stand_in_command(
    operation: str, stack: str, project: Path, secrets_file: Path | None, secret_env: list[str]
) -> list[str]:
    checkpoint = project / STATE_DIR / f"{stack}.json"
    command = [sys.executable, "-m", "pal_engine", operation, "--project", str(project)]
    command += ["--stack", stack, "--checkpoint", str(checkpoint)]
    if secrets_file is not None:
        command += ["--secrets-file", str(secrets_file)]
    for pair in secret_env:
        command += ["--secret-env", pair]
    return command


def _wait_for_the_engine(_signum: int, _frame: object) -> None:
    """A handler, not SIG_IGN: handlers do not survive exec, so the engine still gets Ctrl-C."""


def _command(operation: str) -> Callable[..., None]:
    def run(
        stack: Annotated[str, typer.Option("--stack", "-s", help="stack name (e.g. dev)")],
        project: Annotated[
            Path, typer.Option("--project", help="the Pulumi project directory")
        ] = Path("."),
        secrets_file: Annotated[
            Path | None,
            typer.Option(
                "--secrets-file", help="stand-in: YAML/JSON mapping of config key to secret"
            ),
        ] = None,
        secret_env: Annotated[
            list[str] | None,
            typer.Option(
                "--secret-env", help="stand-in: KEY=ENV_VAR, a secret from the environment"
            ),
        ] = None,
        stand_in: Annotated[
            bool, typer.Option("--stand-in", help="use the engine stand-in even with pulumi")
        ] = False,
    ) -> None:
        if not (project / "Pulumi.yaml").is_file():
            emit(
                "",
                f"palfleet: {project.resolve()} is not a Pulumi project (no Pulumi.yaml) -- fix: "
                "run from the project directory or pass --project\n",
                1,
            )
        if shutil.which("pulumi") and not stand_in:
            command = pulumi_command(operation, stack, project)
        else:
            companion("pal_engine")  # exits naming the distribution when it is missing
            if not (
                os.environ.get("PULUMI_CONFIG_PASSPHRASE")
                or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
            ):
                emit(
                    "",
                    "palfleet: the engine stand-in encrypts the stack's state with "
                    "PULUMI_CONFIG_PASSPHRASE, which is not set -- fix: export "
                    "PULUMI_CONFIG_PASSPHRASE=<a passphrase you keep> (the same at every run)\n",
                    1,
                )
            typer.secho(
                "palfleet: no pulumi CLI: using the engine stand-in (same program and provider, "
                f"state in {project / STATE_DIR / (stack + '.json')})",
                err=True,
                fg=typer.colors.YELLOW,
            )
            command = stand_in_command(operation, stack, project, secrets_file, secret_env or [])
        # Ctrl-C reaches the engine too (same process group); it finishes the steps in flight,
        # says so and exits 130. Wait for it rather than leave it printing behind the prompt.
        previous = signal.signal(signal.SIGINT, _wait_for_the_engine)
        try:
            code = subprocess.call(command)
        finally:
            signal.signal(signal.SIGINT, previous)
        # The stand-in's own usage errors are 2; palfleet keeps 2 for changes and drift.
        raise typer.Exit(1 if code == 2 else code)

    run.__doc__ = _HELP[operation]
    return run
