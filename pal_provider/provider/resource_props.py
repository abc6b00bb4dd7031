"""The props and options every palfleet resource registers with, in one place.

This is where the secret guarantee is made: ``secrets`` is registered as a secret input,
the provider mirrors it as an output of the same name, and ``additional_secret_outputs``
names it too, so Pulumi stores it encrypted whichever rule the engine applies.

It is also where the number of registered keys is kept small: the SDK makes one ``Output`` per
key and its ``wait_for_rpcs`` loop costs time quadratic in all of a program's Outputs (see
``state.py``). The provider-assigned ids are not registered keys: a program reads them as the
resource's ``id``.
"""

from __future__ import annotations

from typing import Any

import pulumi

SECRET_OUTPUTS = ["secrets"]


def declared_props(
    name: str, spec: dict[str, Any], secrets: dict[str, Any] | None, settings: dict[str, Any]
) -> dict[str, Any]:
    """The registered inputs: ``settings`` keeps only the values that are set."""
    return {
        "logical_name": name,
        "spec": spec,
        "secrets": pulumi.Output.secret(secrets or {}),
        "settings": {key: value for key, value in settings.items() if value is not None},
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
