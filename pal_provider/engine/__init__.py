"""Stand-in for the Pulumi engine (no Pulumi CLI needed): see :class:`Engine`."""

from pal_provider.engine.checkpoint import Checkpoint, CheckpointError, ResourceState, Snapshot
from pal_provider.engine.engine import Engine
from pal_provider.engine.project import ProjectError
from pal_provider.engine.provider_host import (
    CheckFailure,
    CheckOutcome,
    CreateOutcome,
    DiffOutcome,
    ProviderError,
    ProviderHost,
    ProviderStartError,
    ReadOutcome,
)
from pal_provider.engine.results import BANNER, RunResult, Step
from pal_provider.engine.wire import UNKNOWN

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
