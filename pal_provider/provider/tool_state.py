"""The shape of a ToolResource's inputs and outputs, as the provider sees them.

Same secret design as PALs (see ``state.py``): ``spec`` holds ``{"$secret": "<config key>"}``
markers at the auth secret leaves (``/delivery/api/auth/token`` ...), and the top-level secret
``secrets`` map (JSON pointer -> value) carries the values.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from pal_provider.provider.state import restore_integers, secret_pointers, with_secrets


class ToolInputs(BaseModel):
    """What the program declares for one registry tool (minus ``__provider``)."""

    model_config = ConfigDict(extra="forbid")

    logical_name: str  # the tool name: unique in the account
    spec: dict[str, Any]
    secrets: dict[str, str] = Field(default_factory=dict)
    api_base_url: str | None = None
    api_key_config: str | None = None

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> Self:
        fields = {k: v for k, v in props.items() if k in cls.model_fields and v is not None}
        return cls.model_validate(restore_integers(fields))

    def body(self) -> dict[str, Any]:
        """The API body with secret values in place (never log or render this)."""
        return with_secrets(self.spec, self.secrets)

    def missing_secrets(self) -> list[str]:
        return sorted(p for p in secret_pointers(self.spec) if p not in self.secrets)


class ToolOutputs(ToolInputs):
    """Inputs plus what the API assigned.

    ``adopted``: the tool already existed (identical) when palfleet first met it, so palfleet
    did not create it and leaves it in the account when the declaration drops it.
    """

    tool_id: str
    created_at: str | None = None
    updated_at: str | None = None
    adopted: bool = False

    def as_inputs(self) -> ToolInputs:
        return ToolInputs.model_validate(self.model_dump(include=set(ToolInputs.model_fields)))
