"""``python -m pal_provider.engine {preview,up,refresh,destroy}``: the engine stand-in's CLI.

Exit status: 0 when the operation succeeded (a preview that plans changes is a success),
1 when any resource failed or the program raised, 2 for bad usage. The checkpoint passphrase
comes from ``PULUMI_CONFIG_PASSPHRASE`` (or ``PULUMI_CONFIG_PASSPHRASE_FILE``), as with Pulumi.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pal_provider.engine.checkpoint import CheckpointError
from pal_provider.engine.engine import Engine
from pal_provider.engine.project import ProjectError
from pal_provider.engine.provider_host import ProviderStartError
from pal_provider.engine.results import BANNER


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text.split('=')[0]!r}...")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pal_provider.engine",
        description=f"{BANNER}: preview/up/refresh/destroy a Pulumi Python project.",
    )
    parser.add_argument("operation", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("--project", type=Path, default=Path("."), help="project directory")
    parser.add_argument("--stack", required=True, help="stack name, e.g. dev")
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint JSON file")
    parser.add_argument(
        "--config",
        type=_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="stack config value (repeatable); KEY without namespace belongs to the project",
    )
    parser.add_argument(
        "--secret",
        type=_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="secret stack config value (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    config = dict(arguments.config)
    secrets = dict(arguments.secret)
    try:
        engine = Engine(
            arguments.project,
            arguments.stack,
            arguments.checkpoint,
            {**config, **secrets},
            set(secrets),
        )
        result = getattr(engine, arguments.operation)()
    except (ProjectError, CheckpointError, ProviderStartError) as error:
        print(f"{BANNER}: error: {error}", file=sys.stderr)
        return 1
    print(result.render())
    return int(result.exit_code)


if __name__ == "__main__":
    sys.exit(main())
