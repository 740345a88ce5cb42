"""Atomic writes that only touch a file when its bytes change, and the vault lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tokenbook.errors import VaultLocked

LOCK_NAME = ".tokenbook.lock"


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` (LF endings, UTF-8) via a temp file and rename; return whether it changed."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def _mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def vault_lock(root: Path, *, wait_seconds: float = 10.0) -> Iterator[None]:
    """Hold an exclusive flock on `<vault>/.tokenbook.lock`; give up after `wait_seconds`."""
    path = root / LOCK_NAME
    with open(path, "a+b") as f:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise VaultLocked(
                        f"{path}: another tokenbook sync is running on this vault; "
                        "it was still running after "
                        f"{wait_seconds:g}s, so this one stops without writing anything. "
                        "Run sync again when it has finished."
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
