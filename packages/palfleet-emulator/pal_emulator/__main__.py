"""``python -m pal_emulator [--host H] [--port P] [--api-key K] [--db FILE] [--no-seed]``."""

from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pal_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="default: emulator-key")
    parser.add_argument("--db", default=None, help="SQLite file; in memory when omitted")
    parser.add_argument("--seed", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        db=args.db,
        seed=args.seed,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
