"""Atomic writes that only touch a file when its bytes change, and the vault lock."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from tokenbook.confine import confined
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultLocked

LOCK_NAME = ".tokenbook.lock"
TEMP_SUFFIX = ".tokenbook-tmp"
# `.<name>.<mkstemp's random part>.tokenbook-tmp`: only our own temp files match.
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


class FileError(TokenbookError, OSError):
    """An I/O failure as one message that names the path and what to do. Still an OSError, so
    code that tolerates a failed write (a disposable cache) keeps doing so."""

    def __init__(self, path: Path, error: OSError, doing: str) -> None:
        OSError.__init__(self, error.errno, error.strerror)
        self.filename = str(path)
        self.text = f"{path}: cannot {doing} ({error.strerror or error}); {remedy(error)}"

    def __str__(self) -> str:
        return self.text


def os_error_text(error: OSError) -> str:
    """`path: what failed; what to do` for an I/O error no layer below turned into a message."""
    where = error.filename or "tokenbook"
    return f"{where}: {error.strerror or error}; {remedy(error)}"


def remedy(error: OSError) -> str:
    """What the user can do about an I/O error."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            "the disk is full; free some space and run the command again "
            "(files are replaced whole, so nothing was half-written)"
        )
    if error.errno == errno.EROFS:
        return "the file system is read-only; run tokenbook on a writable clone of the vault"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "no permission; make it readable and writable for you (chmod u+rw), then run again"
    if error.errno == errno.EISDIR:
        return "a folder is where a file should be; move the folder away"
    if error.errno == errno.ENOTDIR:
        return "a file is where a folder should be; move the file away"
    return "fix the cause and run the command again"


def write_in_vault(root: Path, path: Path, text: str) -> bool:
    """`write_if_changed` for a file of the vault, refusing any path through a symlink."""
    return write_if_changed(confined(root, path), text)


def remove_in_vault(root: Path, path: Path) -> None:
    """Delete a file tokenbook wrote in the vault (never through a symlink, never a link)."""
    try:
        confined(root, path).unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise FileError(path, e, "delete this file") from None


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` (LF endings, UTF-8) via a temp file and rename; return whether it changed.
    An I/O failure is a `FileError` naming the path; the old file is then left as it was."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as e:
        raise FileError(path, e, "read this file") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileError(path.parent, e, "create this folder") from None
    try:
        try:
            _replace(path, data)
        except FileNotFoundError:
            # A sync holding the lock swept our temp file as stale (see `vault_lock`): write again.
            _replace(path, data)
    except OSError as e:
        raise FileError(path, e, "write this file") from None
    return True


def _replace(path: Path, data: bytes) -> None:
    import tempfile  # with shutil, bz2 and lzma: only for a command that writes

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

    An OS lock (flock on Unix, `oslock.py`; `filelock`'s LockFileEx on Windows), so a killed
    run never leaves a stale lock behind. With the lock held no other sync is writing, so temp
    files that a killed run left in the vault (or one folder down) are removed first: they must
    not end up committed.
    """
    from tokenbook import oslock

    path = root / LOCK_NAME
    busy = VaultLocked(
        f"{path}: another tokenbook sync is running on this vault; it was still running "
        f"after {wait_seconds:g}s, so this one stops without writing anything. "
        "Run sync again when it has finished."
    )
    fd = None
    if oslock.has_flock():
        _create(path)
        try:
            fd = oslock.flock(path, wait_seconds)
        except oslock.Busy:
            raise busy from None
    if fd is None:
        with _filelock(path, wait_seconds, busy):
            remove_stale_temp_files(root)
            yield
        return
    try:
        remove_stale_temp_files(root)
        yield
    finally:
        oslock.unlock(fd)


def _create(path: Path) -> None:
    """The lock file, created first so that a read-only vault fails with this path named
    (`cli` words it)."""
    with open(path, "a+b"):
        pass


@contextlib.contextmanager
def _filelock(path: Path, wait_seconds: float, busy: VaultLocked) -> Iterator[None]:
    """`filelock`'s lock, where there is no flock (imported here: it costs about 20 ms)."""
    import filelock

    if filelock.FileLock is not filelock.SoftFileLock:  # an OS lock: the file may exist already
        _create(path)
    lock = filelock.FileLock(path, timeout=max(wait_seconds, 0))
    try:
        lock.acquire(poll_interval=0.05)
    except filelock.Timeout:
        raise busy from None
    try:
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
