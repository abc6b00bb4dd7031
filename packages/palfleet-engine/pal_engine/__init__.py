"""Stand-in for the Pulumi engine (no Pulumi CLI needed): see :class:`Engine`."""

from pal_engine.checkpoint import Checkpoint, CheckpointError, ResourceState, Snapshot
from pal_engine.engine import Engine
from pal_engine.project import ProjectError
from pal_engine.provider_host import (
    CheckFailure,
    CheckOutcome,
    CreateOutcome,
    DiffOutcome,
    ProviderError,
    ProviderHost,
    ProviderStartError,
    ReadOutcome,
)
from pal_engine.results import BANNER, RunResult, Step
from pal_engine.wire import UNKNOWN

__all__ = [
    "BANNER",
    "UNKNOWN",
    "CheckFailure",
    "CheckOutcome",
    "Checkpoint",
    "CheckpointError",
    "CreateOutcome",
    "DiffOutcome",
    "Engine",
    "ProjectError",
    "ProviderError",
    "ProviderHost",
    "ProviderStartError",
    "ReadOutcome",
    "ResourceState",
    "RunResult",
    "Snapshot",
    "Step",
]
