"""The props and options every palfleet resource registers with, in one place.

This is where the secret guarantee is made: ``secrets`` is registered as a secret input,
the provider mirrors it as an output of the same name, and ``additional_secret_outputs``
names it too, so Pulumi stores it encrypted whichever rule the engine applies.
"""

from __future__ import annotations

from typing import Any

import pulumi

SECRET_OUTPUTS = ["secrets"]


def declared_props(
    name: str,
    spec: dict[str, Any],
    secrets: dict[str, Any] | None,
    api_base_url: str | None,
    api_key_config: str | None,
) -> dict[str, Any]:
    return {
        "logical_name": name,
        "spec": spec,
        "secrets": pulumi.Output.secret(secrets or {}),
        "api_base_url": api_base_url,
        "api_key_config": api_key_config,
    }


def resource_options(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``secrets`` as a secret output, and replacement as delete-then-create.

    Create-before-delete (Pulumi's default, also for ``pulumi up --replace``) cannot work for
    palfleet's objects: a tool's name and a PAL's conferencing username are unique in the
    account, and a new object found identical to a live one is adopted, so the replacement would
    adopt the very object the engine deletes next. A replacement therefore deletes first. The
    program's own ``opts`` win.
    """
    ours = pulumi.ResourceOptions(
        additional_secret_outputs=SECRET_OUTPUTS, delete_before_replace=True
    )
    return pulumi.ResourceOptions.merge(ours, opts)
