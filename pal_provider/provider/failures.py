"""How a provider failure reaches the person running ``pulumi up``: one line they can act on.

The SDK's dynamic-provider server answers an exception with the formatted traceback as the
gRPC error details (``pulumi/dynamic/__main__.py``: ``_abort_with_traceback`` calls
``context.abort(StatusCode.UNKNOWN, traceback.format_exc())``), and the engine prints those
details as the resource's error. Left alone, every failure would show file paths of the
provider and ``pal_provider.provider.reconcile.ReconcileError`` to the user.

Two things keep it to one readable line:

* :func:`quiet_tracebacks` sets ``sys.tracebacklimit = 0`` in the provider server process
  (only there, and not when ``PALFLEET_DEBUG=1``), so ``format_exc`` prints no frames;
* the error raised at the protocol boundary is :class:`ProviderFailure`, whose formatted type
  reads ``palfleet`` (``traceback`` prints ``module.qualname`` for any module but builtins).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

DEBUG_ENV = "PALFLEET_DEBUG"
_SERVER_MAIN = "pulumi.dynamic.__main__"


class ReconcileError(Exception):
    """A failure the user can act on; its message holds no secret and no Python detail."""


# -- the wording of failures, in one place ---------------------------------------------------


def failed(what: str, error: Exception) -> ReconcileError:
    """``<what> failed: <the API client's message>`` (that message names the request and the
    server's answer, and is already redacted)."""
    return ReconcileError(f"{what} failed: {error}")


def deleted_outside_pulumi(kind: str, object_id: str) -> ReconcileError:
    return ReconcileError(
        f"{kind} {object_id} no longer exists (deleted outside Pulumi): run `pulumi refresh`, "
        "then `pulumi up` recreates it"
    )


class ProviderFailure(Exception):
    """What the engine receives when a palfleet resource operation fails.

    Raised only at the protocol boundary (:func:`reported_as`); formatted as
    ``palfleet: <message>``.
    """

    __module__ = "builtins"
    __qualname__ = "palfleet"


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes"}


def quiet_tracebacks() -> None:
    """No traceback frames in failures reported by the dynamic-provider server process."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if getattr(spec, "name", None) == _SERVER_MAIN and not debugging():
        sys.tracebacklimit = 0


@contextmanager
def reported_as(subject: str) -> Iterator[None]:
    """Turn any failure inside into a :class:`ProviderFailure` naming ``subject``.

    An unexpected exception (a bug) keeps its message but not its type; ``PALFLEET_DEBUG=1``
    lets it through untouched, with its traceback.
    """
    try:
        yield
    except ReconcileError as exc:
        raise ProviderFailure(f"{subject}: {exc}") from None
    except Exception as exc:
        if debugging():
            raise
        raise ProviderFailure(
            f"{subject}: unexpected internal error ({exc}); re-run with {DEBUG_ENV}=1 for details "
            "and report it"
        ) from None
