"""Secret values for commands that must call out with them (``palfleet llm check``).

Pulumi keeps a stack's secrets encrypted in ``Pulumi.<stack>.yaml``; a command outside
``pulumi up`` gets them the way the engine stand-in does, never on the command line (where
``ps`` shows them): ``--secrets-file`` names a YAML or JSON mapping of config key to value,
``--secret-env KEY=ENV_VAR`` reads one from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pal_provider.gitops.session import CommandError


def secret_lookup(secrets_file: Path | None, secret_env: list[str]) -> Callable[[str], str | None]:
    """``key -> value`` from the file and the environment (the environment wins); raises
    :class:`CommandError` for an unreadable file or a malformed ``KEY=ENV_VAR``."""
    values: dict[str, str] = {}
    if secrets_file is not None:
        try:
            loaded = YAML(typ="safe", pure=True).load(secrets_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError) as exc:
            raise CommandError(f"--secrets-file {secrets_file}: cannot read it ({exc})") from None
        if not isinstance(loaded, dict):
            raise CommandError(
                f"--secrets-file {secrets_file}: expected a mapping of config key to value, "
                "e.g. `palfleet:storyLlmApiKey: sk-...`"
            )
        values.update({str(k): str(v) for k, v in loaded.items() if v is not None})
    for pair in secret_env:
        key, separator, variable = pair.partition("=")
        if not separator or not key or not variable:
            raise CommandError(
                f"--secret-env {pair.split('=')[0]!r}: expected KEY=ENV_VAR, e.g. "
                "palfleet:storyLlmApiKey=STORY_LLM_KEY"
            )
        if variable in os.environ:
            values[key] = os.environ[variable]
    return values.get
