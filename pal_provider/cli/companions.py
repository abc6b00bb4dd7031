"""The emulator and the engine stand-in are distributions of their own: a user's `pulumi up`
needs neither. The commands that use them say how to install them when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

import typer

_DISTRIBUTIONS = {
    "pal_emulator": ("palfleet-emulator", "packages/palfleet-emulator"),
    "pal_engine": ("palfleet-engine", "packages/palfleet-engine"),
}


def companion(module: str) -> ModuleType:
    """Import ``module`` (a submodule of pal_emulator or pal_engine), or exit 1 saying how to
    install the distribution that provides it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        top = module.split(".")[0]
        if error.name is None or error.name.split(".")[0] != top:
            raise
        distribution, path = _DISTRIBUTIONS[top]
        typer.secho(
            f"palfleet: error: this command needs {distribution}, which is not installed. "
            f"Install it from a palfleet checkout: pip install ./{path} (scripts/bootstrap "
            "installs everything)",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(1) from None
