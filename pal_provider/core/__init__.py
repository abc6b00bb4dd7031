"""Pure functions comparing PAL documents: canonical form, typed diff, minimal JSON Patch.

No I/O, and no import of any other pal_provider package.
"""

from pal_provider.core.canonical import (
    CanonicalFormError,
    canonicalize,
    comparable_current,
    is_empty,
)
from pal_provider.core.diff import Change, ChangeKind, ChangeSet, diff_documents, diff_pal
from pal_provider.core.jsonvalue import Json, Path, strict_equal, to_dotted, to_pointer
from pal_provider.core.masking import MASK, SECRET_PATHS, is_secret_path, redact
from pal_provider.core.patch import (
    JsonPatch,
    PatchOp,
    UnsendableSecretError,
    apply_changes,
    guarded_patch,
    make_patch,
    patch_for,
    patch_from_changes,
)

__all__ = [
    "MASK",
    "SECRET_PATHS",
    "CanonicalFormError",
    "Change",
    "ChangeKind",
    "ChangeSet",
    "Json",
    "JsonPatch",
    "PatchOp",
    "Path",
    "UnsendableSecretError",
    "apply_changes",
    "canonicalize",
    "comparable_current",
    "diff_documents",
    "diff_pal",
    "guarded_patch",
    "is_empty",
    "is_secret_path",
    "make_patch",
    "patch_for",
    "patch_from_changes",
    "redact",
    "strict_equal",
    "to_dotted",
    "to_pointer",
]
