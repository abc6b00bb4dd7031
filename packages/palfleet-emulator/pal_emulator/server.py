"""Running the emulator under uvicorn (foreground), announcing the chosen address first."""

from __future__ import annotations

import socket
import sys

from .app import DEFAULT_API_KEY, create_emulator


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    db: str | None = None,
    seed: bool = True,
    log_level: str = "warning",
    faces: list[dict[str, str]] | None = None,
) -> None:
    """Bind, print ``palfleet emulator listening on http://HOST:PORT`` as the first stdout
    line (flushed), then serve until interrupted. ``faces`` are added to the stock ones (a
    stack's own face ids). A port in use is one line on stderr and exit status 1."""
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: no Nagle delay between the head and body writes
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        print(
            f"palfleet emulator: cannot listen on {host}:{port}: {exc.strerror} -- fix: stop "
            "what uses that port (another emulator?) or choose another with --port "
            "(0 picks a free one)",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(1) from None
    sock.listen(512)
    key = api_key or DEFAULT_API_KEY
    emulator = create_emulator(api_key=key, db=db, seed=seed)
    known = {face["face_id"] for face in emulator.service.store.faces()}
    new_faces = [face for face in faces or [] if face["face_id"] not in known]
    if new_faces:
        emulator.service.seed(pals=[], tools=[], faces=new_faces, validate=True)
    chosen = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    print(f"palfleet emulator listening on http://{shown_host}:{chosen}", flush=True)
    print(f"  API base URL: http://{shown_host}:{chosen}/v2", flush=True)
    if api_key is None:
        print(
            f"  API key: {DEFAULT_API_KEY} (the emulator's default, not a real secret)", flush=True
        )
    print(f"  state: {db if db else 'in memory'}", flush=True)
    config = uvicorn.Config(
        emulator.asgi,
        log_level=log_level,
        access_log=False,
        # uvloop and httptools (dependencies) where they install, else asyncio and h11: the
        # emulator's own time per request, which every benchmark reports, drops by a third.
        http="auto",
        loop="auto",
        lifespan="off",
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        emulator.service.store.close()
        sys.stdout.flush()
