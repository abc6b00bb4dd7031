"""Which custom-LLM binding (``bindings.llm_endpoints.<name>``) a PAL uses.

palfleet's own reference is ``palfleet.llm_endpoint: <name>``. ``layers.llm.endpoint`` is a
field of the API itself (revision 2 of the contract), passed through like any other. Earlier
palfleet versions used ``layers.llm.endpoint`` for the binding name: such a value, when it
names a binding of the stack, is still read as the reference, with a warning and the fix.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .models import PalIntent

LEGACY_FIX = (
    "write palfleet: {llm_endpoint: NAME} instead: layers.llm.endpoint is now the API's own "
    "field, sent to Tavus as written"
)


@dataclass(frozen=True)
class LlmBinding:
    name: str
    legacy: bool  # written as layers.llm.endpoint


def llm_binding(pal: PalIntent, bound: Collection[str] | None) -> LlmBinding | None:
    """The binding ``pal`` refers to, if any (``bound``: the stack's binding names; None when
    an API-shaped body is checked, where no binding can be meant)."""
    options = pal.palfleet
    if options is not None and options.llm_endpoint is not None:
        return LlmBinding(options.llm_endpoint, legacy=False)
    llm = pal.layers.llm if pal.layers is not None else None
    if bound is not None and llm is not None and llm.endpoint is not None and llm.endpoint in bound:
        return LlmBinding(llm.endpoint, legacy=True)
    return None
