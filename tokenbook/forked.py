"""Work shared with a forked child on a second core: the child sends back one marshal blob.

Used for reads big enough that a second process pays for itself (`claude_read`, `labelling`).
The child leaves without running any cleanup; when it fails, the caller does its part itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork") and cores() >= 2


def in_two(theirs: Callable[[], bytes], own: Callable[[], T]) -> tuple[bytes | None, T]:
    """Run `theirs` in a forked child while `own()` runs here: (the child's blob, or None when
    it failed; what `own` returned)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send one blob, leave without running any cleanup
        code = 1
        try:
            os.close(r)
            with os.fdopen(w, "wb") as f:
                f.write(theirs())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    done = False
    try:
        mine = own()
        with os.fdopen(r, "rb") as f:
            blob = f.read()
        status = os.waitpid(pid, 0)[1]
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    return (blob if status == 0 else None), mine
