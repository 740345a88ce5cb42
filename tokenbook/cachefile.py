"""Disposable cache files in `<vault>/.tokenbook-cache/`: written atomically, read only when
their key matches, never trusted beyond that.

A key is a hash of everything the cached value was computed from: the sources' bytes and their
local identity (inode, ctime), the Python version and tokenbook's own code. A source changed in
any way, even rewritten with the same size and time, changes the key; so does a file that came
from elsewhere (a pull request cannot predict the inode and ctime a checkout gets here), so a
cache file committed into a vault is never used. Payloads are `marshal` data of plain values,
which their readers take apart by shape (marshal runs no code; anything of an unexpected shape
is a miss); a missing, damaged or foreign file reads as None.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CACHE_DIR = ".tokenbook-cache"
MAGIC = b"tokenbook cache 1\n"
_CODE = Path(__file__).parent


def new_key(kind: str, *code: str) -> Any:
    """A hash to feed a cache's sources into: `kind` names the cache, `code` the tokenbook
    modules (file names in the package) whose change makes old entries wrong."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{kind}\0{sys.version_info[:3]}\0".encode())
    for name in code:
        st = os.stat(_CODE / name)
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h


def add_files(h: Any, paths: Iterable[Path], base: Path) -> bool:
    """Feed each file's name, local identity and a hash of its bytes into `h`; False if one is
    unreadable. (A file's hash is kept for this process while its identity stays the same:
    a command that keys its cache before and after writing reads only what it wrote.)"""
    for path in paths:
        try:
            st = os.stat(path)
            known = (os.fspath(path), st.st_ino, st.st_ctime_ns, st.st_mtime_ns, st.st_size)
            digest = _DIGESTS.get(known)
            if digest is None:
                with open(path, "rb") as f:
                    st = os.fstat(f.fileno())
                    data = f.read()
                known = (os.fspath(path), st.st_ino, st.st_ctime_ns, st.st_mtime_ns, len(data))
                digest = _DIGESTS[known] = hashlib.blake2b(data, digest_size=20).digest()
        except OSError:
            return False
        name = os.path.relpath(path, base)
        h.update(f"{name}\0{known[1]}\0{known[2]}\0{known[3]}\0{known[4]}\0".encode())
        h.update(digest)
    return True


_DIGESTS: dict[tuple[str, int, int, int, int], bytes] = {}


def read(path: Path, key: bytes) -> Any:
    """The payload stored under `key`, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + len(key))
            if head != MAGIC + key:
                return None
            data = f.read()
        return marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def write(path: Path, key: bytes, payload: Any, magic: bytes = MAGIC) -> None:
    """Store `payload` atomically; a cache that cannot be written only costs time later."""
    import tempfile  # with shutil, bz2 and lzma: only when a cache is written

    try:
        data = marshal.dumps(payload)
    except ValueError:  # not plain data
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")  # the cache ignores itself (as `preflight` writes it)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(magic + key + data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
