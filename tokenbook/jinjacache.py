"""Compiled templates (Jinja2's bytecode cache) in `<vault>/.tokenbook-cache/jinja/`.

Compiling the dashboard and progress templates costs more than rendering them. A compiled
template is Python code, so it is loaded only from a file this machine wrote: its name is a
hash of the template's path, its local identity (device, inode, ctime, mtime, size), Jinja's
and Python's versions; a file that arrives any other way (a pull request cannot predict an
inode or a ctime) is never found. Jinja checks the source's checksum as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import jinja2

FOLDER = "jinja"


class TemplateCache(jinja2.BytecodeCache):
    """`settings`: what else the compiled code depends on (the environment's options)."""

    def __init__(self, folder: Path, settings: str) -> None:
        self.folder, self.settings = folder, settings

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        if filename is None:
            return ""  # not from a file: not cached
        try:
            st = os.stat(filename)
        except OSError:
            return ""
        h = hashlib.sha256()
        identity = (st.st_dev, st.st_ino, st.st_ctime_ns, st.st_mtime_ns, st.st_size)
        h.update(f"{name}\0{filename}\0{identity}\0{self.settings}\0".encode())
        h.update(f"{jinja2.__version__}\0{sys.version}".encode())
        return h.hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not bucket.key:
            return
        with contextlib.suppress(OSError), open(self.folder / f"{bucket.key}.cache", "rb") as f:
            bucket.load_bytecode(f)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not bucket.key:
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    bucket.write_bytecode(f)
                os.replace(tmp, self.folder / f"{bucket.key}.cache")
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise


def template_cache(root: Path, settings: str) -> TemplateCache:
    from tokenbook.cachefile import CACHE_DIR

    code = os.stat(Path(__file__).parent / "sandbox.py")  # the environment is made there
    return TemplateCache(root / CACHE_DIR / FOLDER, f"{settings}\0{code.st_mtime_ns}")
