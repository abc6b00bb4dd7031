"""``palfleet emulator``: run the local PAL API emulator in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer

from pal_provider.cli.companions import companion


def register(app: typer.Typer) -> None:
    @app.command("emulator")
    def emulator(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(0, help="Port; 0 picks a free one (printed on the first line)."),
        api_key: str | None = typer.Option(
            None, "--api-key", help="Key clients must send as x-api-key (default: emulator-key)."
        ),
        db: Path | None = typer.Option(
            None, "--db", help="SQLite file for state that survives restarts (default: in memory)."
        ),
        seed: bool = typer.Option(True, "--seed/--no-seed", help="Seed stock PALs and faces."),
    ) -> None:
        """Run the PAL API emulator (serves the API under /v2, controls under /_emulator)."""
        serve = companion("pal_emulator.server").serve

        serve(host=host, port=port, api_key=api_key, db=str(db) if db else None, seed=seed)
