"""Secret markers in resolved bodies: `{"$secret": "<pulumi config key>"}`.

A resolved PAL or tool body never holds a secret value; it holds a marker naming the Pulumi
config key that does. The program substitutes values just before sending. The marker itself
and the walks over it belong to :mod:`pal_provider.core.masking`; these are the declaration's
names for them.
"""

from __future__ import annotations

from pal_provider.core.masking import SECRET_REF_KEY as SECRET_MARKER
from pal_provider.core.masking import is_secret_ref as is_secret_marker
from pal_provider.core.masking import secret_ref as secret_marker

__all__ = ["SECRET_MARKER", "is_secret_marker", "secret_marker"]
