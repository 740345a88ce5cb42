"""A disposable, git-ignored cache of file facts by content hash, so a second run reads nothing.

`<vault>/.tokenbook-cache/preflight/counts.json` maps a file's (path, size, mtime) to its content
hash, and the hash to what counting needs (characters, content type, binary, minified). No text.
Deleting it only costs time; a cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook.fileio import write_if_changed

CACHE_DIR = ".tokenbook-cache"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Facts:
    chars: int
    kind: str
    binary: bool
    minified: bool


class CountCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.stats: dict[str, list[Any]] = {}
        self.facts: dict[str, list[Any]] = {}
        self.changed = False
        self.hits = 0
        if folder is not None:
            with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                data = json.loads((folder / "counts.json").read_bytes())
                if data.get("version") == VERSION:
                    self.stats, self.facts = dict(data["files"]), dict(data["digests"])

    def digest(self, path: str, size: int, mtime_ns: int) -> str | None:
        known = self.stats.get(path)
        if known and known[0] == size and known[1] == mtime_ns and known[2] in self.facts:
            self.hits += 1
            return str(known[2])
        return None

    def get(self, digest: str) -> Facts | None:
        f = self.facts.get(digest)
        return Facts(int(f[0]), str(f[1]), bool(f[2]), bool(f[3])) if f else None

    def put(self, path: str, size: int, mtime_ns: int, digest: str, facts: Facts) -> None:
        self.stats[path] = [size, mtime_ns, digest]
        self.facts[digest] = [facts.chars, facts.kind, facts.binary, facts.minified]
        self.changed = True

    def save(self) -> None:
        if self.folder is None or not self.changed:
            return
        with contextlib.suppress(OSError):
            top = self.folder.parent
            write_if_changed(top / ".gitignore", "*\n")  # the cache ignores itself
            data = {"version": VERSION, "files": self.stats, "digests": self.facts}
            write_if_changed(self.folder / "counts.json", json.dumps(data, sort_keys=True))
            self.changed = False


def vault_cache(root: Path) -> CountCache:
    return CountCache(root / CACHE_DIR / "preflight")
