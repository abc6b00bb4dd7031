"""What the provider server loads before its first answer.

The SDK's server unpickles a provider on its first call, importing its module; that import is on
the path of every `pulumi preview` and of both halves of `pulumi up`. It must not drag in what
the provider never uses: the declaration loader (YAML files, stacks) and httpx's optional
command-line client (click, rich, pygments).
"""

from __future__ import annotations

import json
import subprocess
import sys

NEVER_LOADED = (
    "click",
    "rich",
    "pygments",
    "pal_provider.declaration.loader",
    "pal_provider.gitops",
    "pal_provider.cli",
)


def test_importing_the_providers_loads_neither_the_loader_nor_a_command_line() -> None:
    code = (
        "import json, sys\n"
        "import pal_provider.provider.pal, pal_provider.provider.tool\n"
        "import pal_provider.provider.records\n"
        f"print(json.dumps([m for m in {list(NEVER_LOADED)!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_the_declaration_package_still_offers_its_names() -> None:
    from pal_provider import declaration

    assert callable(declaration.load_stack) and callable(declaration.validate_pal_body)
    assert "load_stack" in declaration.__all__
