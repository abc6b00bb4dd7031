"""What the provider server loads before its first answer.

The SDK's server unpickles a provider on its first call, importing its module; that import is on
the path of every `pulumi preview` and of both halves of `pulumi up`. It must not drag in what
the provider never uses: the declaration loader (YAML files, stacks) and httpx's optional
command-line client (click, rich, pygments). Check and Diff make no request, so the HTTP client
itself loads with the first one.
"""

from __future__ import annotations

import json
import subprocess
import sys

NEVER_LOADED = (
    "httpx",
    "pal_provider.api.client",
    "click",
    "rich",
    "pygments",
    "pal_provider.declaration.loader",
    "pal_provider.gitops",
    "pal_provider.cli",
)


def test_importing_the_providers_loads_no_loader_no_command_line_and_no_http_client() -> None:
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


def test_the_lazy_packages_still_offer_every_name_they_list() -> None:
    from pal_provider import api, declaration, provider

    for package in (api, declaration, provider):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
