"""``palfleet emulator``: run the local PAL API emulator in the foreground.

With ``--stack NAME`` it serves the address the stack's ``bindings.api_base_url`` names (a
loopback ``http`` URL, as the shipped ``dev`` stack has) and knows the stack's faces, so
``palfleet plan`` and ``palfleet up`` of that stack work against it unchanged.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import typer

from pal_provider.cli.companions import companion
from pal_provider.cli.output import emit


def stack_address(stack: str, root: Path) -> tuple[str, int, list[dict[str, str]]]:
    """(host, port, faces) the stack's declaration points at; exits 1 with the fix."""
    from pal_provider.api import is_loopback_host
    from pal_provider.declaration import load_stack

    result = load_stack(stack, root)
    if result.fleet is None or result.errors:
        details = "".join(f"  {finding.render()}\n" for finding in result.errors)
        emit("", f"palfleet: stack {stack!r} does not validate:\n{details}", 1)
    assert result.fleet is not None
    url = urlsplit(result.fleet.bindings.api_base_url)
    host = url.hostname or ""
    if url.scheme != "http" or not is_loopback_host(host) or url.port is None:
        emit(
            "",
            f"palfleet: stack {stack!r} binds api_base_url {url.geturl()}, not a local http "
            "address with a port -- fix: point bindings.api_base_url at http://127.0.0.1:<port>/v2 "
            "or run the emulator with --port and pass --api-base-url to plan\n",
            1,
        )
    faces = [
        {"face_id": face_id, "face_name": name}
        for name, face_id in result.fleet.bindings.faces.items()
    ]
    return host, int(url.port or 0), faces


def register(app: typer.Typer) -> None:
    @app.command("emulator")
    def emulator(
        stack: str | None = typer.Option(
            None, "--stack", "-s", help="Serve this stack's api_base_url and know its faces."
        ),
        root: Path = typer.Option(Path("stacks"), "--root", help="Where the stacks are."),
        host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
        port: int | None = typer.Option(
            None, help="Port; 0 picks a free one (default: the stack's, else 0)."
        ),
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
        faces: list[dict[str, str]] = []
        bound_host, bound_port = "127.0.0.1", 0
        if stack is not None:
            bound_host, bound_port, faces = stack_address(stack, root)
        serve(
            host=host or bound_host,
            port=bound_port if port is None else port,
            api_key=api_key,
            db=str(db) if db else None,
            seed=seed,
            faces=faces,
        )
