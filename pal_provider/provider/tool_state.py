"""The shape of a ToolResource's inputs and outputs, as the provider sees them.

Same secret design as PALs (see ``state.py``): ``spec`` holds ``{"$secret": "<config key>"}``
markers at the auth secret leaves (``/delivery/api/auth/token`` ...), and the top-level secret
``secrets`` map (JSON pointer -> value) carries the values.
"""

from __future__ import annotations

from pal_provider.provider.state import DeclaredInputs


class ToolInputs(DeclaredInputs):
    """What the program declares for one registry tool; ``logical_name`` is the tool name,
    unique in the account."""


class ToolOutputs(ToolInputs):
    """Inputs plus what the API assigned.

    ``adopted``: the tool already existed (identical) when palfleet first met it, so palfleet
    did not create it and leaves it in the account when the declaration drops it.
    """

    tool_id: str
    created_at: str | None = None
    adopted: bool = False

    def as_inputs(self) -> ToolInputs:
        return ToolInputs.model_validate(self.model_dump(include=set(ToolInputs.model_fields)))
