"""The vault lock as a plain `flock` where the OS has one; `filelock` (whose import costs about
20 ms of a sync: threading, logging, socket, platform, secrets) only where it has not (Windows,
a file system without flock). On Unix `filelock.FileLock` is this same flock on the same file,
so the two exclude each other and a killed run never leaves a stale lock behind."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path

_BUSY = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})
_NO_FLOCK = frozenset({errno.ENOSYS, errno.EOPNOTSUPP})


class Busy(Exception):
    """Another process held the lock for all of the time given."""


def has_flock() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:  # Windows
        return False
    return True


def flock(path: Path, wait_seconds: float, poll_seconds: float = 0.05) -> int | None:
    """A descriptor of `path` holding an exclusive flock on it (release: `unlock`); None when
    there is no flock here (the caller takes `filelock`'s). `Busy` after `wait_seconds`."""
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait_seconds, 0)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as error:
                if error.errno in _NO_FLOCK:
                    os.close(fd)
                    return None
                if error.errno not in _BUSY:
                    raise
            if time.monotonic() >= deadline:
                raise Busy(str(path))
            time.sleep(poll_seconds)
    except BaseException:
        with contextlib.suppress(OSError):  # closed already
            os.close(fd)
        raise


def unlock(fd: int) -> None:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
