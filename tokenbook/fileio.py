"""Atomic writes that only touch a file when its bytes change, and the vault lock."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tokenbook.errors import VaultLocked

LOCK_NAME = ".tokenbook.lock"
TEMP_SUFFIX = ".tokenbook-tmp"
# `.<name>.<mkstemp's random part>.tokenbook-tmp`: only our own temp files match.
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` (LF endings, UTF-8) via a temp file and rename; return whether it changed."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _replace(path, data)
    except FileNotFoundError:
        # A sync holding the lock swept our temp file as stale (see `vault_lock`): write again.
        _replace(path, data)
    return True


def write_together(files: list[tuple[Path, str]]) -> list[bool]:
    """`write_if_changed` for files that belong together (a ledger's records and summary): all
    are written to temp files first, then renamed one after the other, so a kill leaves them
    out of step only between two renames. Whether each changed."""
    staged: list[tuple[str, Path, bytes]] = []
    changed = []
    try:
        for path, text in files:
            data = text.encode("utf-8")
            try:
                same = path.read_bytes() == data
            except FileNotFoundError:
                same = False
            changed.append(not same)
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                staged.append((_temp(path, data), path, data))
        while staged:
            tmp, path, data = staged[0]
            try:
                os.replace(tmp, path)
            except FileNotFoundError:  # swept as stale by a sync holding the lock: write again
                _replace(path, data)
            staged.pop(0)
    finally:
        for tmp, _, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return changed


def _temp(path: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, _mode(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
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
    """Hold an exclusive lock on `<vault>/.tokenbook.lock`; give up after `wait_seconds`.

    `filelock` takes an OS lock (flock on Unix, LockFileEx on Windows), so a killed run never
    leaves a stale lock behind. With the lock held no other sync is writing, so temp files that
    a killed run left in the vault (or one folder down) are removed first: they must not end up
    committed.
    """
    import filelock  # imported here: the commands that never lock do not pay for it

    path = root / LOCK_NAME
    lock = filelock.FileLock(path, timeout=max(wait_seconds, 0))
    try:
        lock.acquire(poll_interval=0.05)
    except filelock.Timeout:
        raise VaultLocked(
            f"{path}: another tokenbook sync is running on this vault; it was still running "
            f"after {wait_seconds:g}s, so this one stops without writing anything. "
            "Run sync again when it has finished."
        ) from None
    try:
        remove_stale_temp_files(root)
        yield
    finally:
        lock.release()


def remove_stale_temp_files(root: Path) -> list[Path]:
    """Delete `write_if_changed` temp files in `root` and its direct subfolders; return them."""
    removed = []
    for folder in [root, *(p for p in sorted(root.iterdir()) if p.is_dir())]:
        for path in sorted(folder.glob(f".*{TEMP_SUFFIX}")):
            if _TEMP_NAME.match(path.name) and path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed.append(path)
    return removed
