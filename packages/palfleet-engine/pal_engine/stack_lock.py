"""One operation at a time per stack, as the Pulumi backends lock a stack for an update.

The DIY (file) backend writes a lock file under ``.pulumi/locks/`` and refuses a second
operation on the same stack (``pkg/backend/diy/lock.go``: ``checkForLock``: "the stack is
currently locked by N lock(s)"). The stand-in takes an exclusive ``flock`` on a file next to
the checkpoint: a second ``up``, ``refresh``, ``destroy`` or ``preview`` of the stack refuses at
once instead of racing. Unlike the CLI's lock file, a ``flock`` dies with its process, so a
killed engine never leaves a stale lock (the CLI needs ``pulumi cancel`` for that).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class StackLocked(RuntimeError):
    """Another operation holds the stack."""


class StackLock:
    def __init__(self, checkpoint_path: Path) -> None:
        self.path = checkpoint_path.with_name(checkpoint_path.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> StackLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StackLocked(
                f"the stack is currently locked by 1 lock(s) (pid {holder}): another operation "
                "on this stack is running. Wait for it to end, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
