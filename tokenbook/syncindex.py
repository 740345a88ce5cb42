"""The sync cache's index (`<vault>/.tokenbook-cache/sync.bin`) and the fingerprints it keeps.

This module imports only the standard library's smallest parts: `tokenbook sync` with nothing
new answers from it alone (`noop.py`) before anything else is loaded. `cache.py` reads and
writes the same index for every other sync.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import zlib
from stat import S_ISREG

TYPE_CHECKING = False  # `typing` costs the no-op sync more than its whole check
if TYPE_CHECKING:
    from typing import Any

    Where = str | os.PathLike[str]

CACHE_DIR = ".tokenbook-cache"
CACHE_FILE = "sync.bin"
FORMAT = 6
MAGIC = b"tokenbook sync cache %d python %d.%d\n" % (FORMAT, *sys.version_info[:2])
_HEAD = struct.Struct("<QI")  # index length, crc32
LOCK_NAME = ".tokenbook.lock"  # fileio.LOCK_NAME
LEDGER_DIR = "ledgers"
SKIP_DIRS = {".git", CACHE_DIR, "__pycache__"}

# dev, ino, size, mtime_ns, offset, lines, mark, skipped [(line, why)], tail [(line, why)], ctime_ns
Entry = tuple[
    int, int, int, int, int, int, bytes, list[tuple[int, str]], list[tuple[int, str]], int
]
Fingerprint = tuple[tuple[str, int, int], ...]
Stat = tuple[int, int, int, int]  # ino, size, mtime_ns, ctime_ns


class Index:
    """What the last sync saw and wrote. See `cache.SyncCache` for how each part is used."""

    __slots__ = (
        "agents",
        "alerted",
        "files",
        "ledgers",
        "metas",
        "other_problems",
        "others",
        "rendered",
        "resolution",
        "responses",
        "standing",
        "timezone",
        "unpriced",
        "vault",
    )

    def __init__(
        self,
        timezone: str,
        files: dict[str, Entry] | None = None,
        agents: dict[str, str] | None = None,
        ledgers: Fingerprint = (),
        vault: Fingerprint = (),
        rendered: bool = False,
        unpriced: list[str] | None = None,
        alerted: list[tuple[str, str, int]] | None = None,
        others: Fingerprint = (),
        other_problems: list[tuple[str, int, str]] | None = None,
        metas: dict[str, Stat] | None = None,
        responses: int = 0,
        resolution: tuple[Any, ...] | None = None,
        standing: dict[str, tuple[str, str, tuple[str, ...]]] | None = None,
    ) -> None:
        self.timezone = timezone
        self.files = files if files is not None else {}
        self.agents = agents if agents is not None else {}  # agentId → type, from meta files
        self.ledgers = ledgers  # the ledger files after the last sync
        self.vault = vault  # the whole vault after the last sync
        self.rendered = rendered  # whether the last sync rendered
        self.unpriced = unpriced if unpriced is not None else []  # what it found unpriced
        # Thresholds crossed as of the last command that wrote ledgers (bet, cycle, threshold):
        # an appetite edit or a merge crosses one that the ledgers before the next sync already
        # cross. None: not known (a new cache): the ledgers before the command decide.
        self.alerted = alerted
        self.others = others  # the other agents' files as last read
        self.other_problems = other_problems if other_problems is not None else []
        self.metas = metas if metas is not None else {}  # the meta files the agents came from
        self.responses = responses  # what the ledgers counted after the last sync
        # How the last sync's command found its log folders (see `noop.py`), None: unknown.
        self.resolution = resolution
        # Per session, what a claim on `unassigned` reports while its records stay as they are
        # (`placement.standing`); None: not known, so the next sync places every record.
        self.standing = standing

    def dump(self) -> bytes:
        data = marshal.dumps(tuple(getattr(self, name) for name in _ORDER))
        return MAGIC + _HEAD.pack(len(data), zlib.crc32(data)) + data


_ORDER = (
    "timezone",
    "files",
    "agents",
    "ledgers",
    "vault",
    "rendered",
    "unpriced",
    "alerted",
    "others",
    "other_problems",
    "metas",
    "responses",
    "resolution",
    "standing",
)


def load_index(root: Where) -> Index | None:
    """The index as the last sync wrote it; None when missing, damaged or of another format."""
    try:
        with open(os.path.join(root, CACHE_DIR, CACHE_FILE), "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                return None
            n, crc = _HEAD.unpack(f.read(_HEAD.size))
            data = f.read(n)
            if len(data) != n or zlib.crc32(data) != crc or f.read(1):
                return None
        return Index(*marshal.loads(data))
    except (OSError, ValueError, EOFError, TypeError, struct.error):
        return None


def vault_fingerprint(root: Where) -> Fingerprint:
    """Path, size and mtime of every vault file (not .git, the cache or the lock), and of
    tokenbook's own code and templates: if none changed, a sync with no new log bytes would
    write exactly what is there. (In `os.walk` order: a folder's files, then its folders.)"""
    out: list[tuple[str, int, int]] = []
    _fingerprint(os.fspath(root), "", out)
    _fingerprint(os.path.dirname(__file__), "<tokenbook>/", out)
    return tuple(out)


def _fingerprint(folder: str, prefix: str, out: list[tuple[str, int, int]]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return
    dirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for e in entries:
        try:
            is_dir = e.is_dir()
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(e)
    for e in sorted(files, key=lambda e: e.name):
        if e.name != LOCK_NAME:
            try:
                st = e.stat()
            except FileNotFoundError:
                continue
            out.append((prefix + e.name, st.st_size, st.st_mtime_ns))
    for e in sorted(dirs, key=lambda e: e.name):
        if e.name not in SKIP_DIRS and not e.is_symlink():
            _fingerprint(e.path, f"{prefix}{e.name}/", out)


def own_writes(before: Fingerprint, after: Fingerprint, wrote: set[str]) -> Fingerprint:
    """The vault's fingerprint as this sync left it: its own writes as they are now, every
    other file as it was before the sync read anything (a file someone else changed during
    the sync stays changed for the next one, which reads it then)."""
    was = {path: (size, mtime) for path, size, mtime in before}
    now = {path for path, _, _ in after}
    out = []
    for path, size, mtime in after:
        if path in wrote:
            out.append((path, size, mtime))
        else:
            old = was.get(path)
            out.append((path, *old) if old is not None else (path, -1, -1))
    gone = [(path, -1, -1) for path in was if path not in now and path not in wrote]
    return tuple(out + gone)


def ledger_fingerprint(root: Where) -> Fingerprint:
    """Name, size and mtime of every ledger file: tells whether someone else changed them."""
    folder = os.path.join(root, LEDGER_DIR)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ()
    out = []
    for name in names:
        try:
            st = os.stat(os.path.join(folder, name))
        except FileNotFoundError:
            continue
        out.append((name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def others_fingerprint(dirs: dict[str, list[Where]]) -> Fingerprint:
    """Every file below the other agents' folders: path, size, mtime."""
    out = []
    for name in sorted(dirs):
        for d in dirs[name]:
            for folder, subdirs, names in os.walk(d):
                subdirs.sort()
                for n in sorted(names):
                    path = os.path.join(folder, n)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    out.append((f"{name}:{path}", st.st_size, st.st_mtime_ns))
    return tuple(out)


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def walk_logs(
    dirs: list[str],
) -> tuple[dict[str, os.stat_result], dict[str, os.stat_result], list[tuple[str, str]]]:
    """One pass over each dir's `projects/` (symlinked folders not followed), one stat per file:
    the log files (`*.jsonl`) and the `agent-*.meta.json` files in folders that hold logs, both
    in path order, and the folders that could not be listed (path, why)."""
    logs: dict[str, os.stat_result] = {}
    metas: dict[str, os.stat_result] = {}
    problems: list[tuple[str, str]] = []

    def unreadable(e: OSError) -> None:
        if not isinstance(e, FileNotFoundError):
            problems.append((str(e.filename), e.strerror or type(e).__name__))

    for d in dirs:
        for folder, _, names in os.walk(os.path.join(d, "projects"), onerror=unreadable):
            if _stat_all(folder, [n for n in names if n.endswith(".jsonl")], logs, S_ISREG):
                metas_here = [n for n in names if n.startswith("agent-")]
                _stat_all(folder, [n for n in metas_here if n.endswith(".meta.json")], metas)
    return _by_path(logs), _by_path(metas), problems


def _stat_all(
    folder: str, names: list[str], into: dict[str, os.stat_result], kind: Any = None
) -> bool:
    """Stat each file (of `kind`, when given) into `into`; whether any was found."""
    found = False
    for n in names:
        path = os.path.join(folder, n)
        try:
            st = os.stat(path)
        except OSError:
            continue
        if kind is None or kind(st.st_mode):
            into[path], found = st, True
    return found


def _by_path(found: dict[str, os.stat_result]) -> dict[str, os.stat_result]:
    """In `pathlib.Path` order (by component), as the logs have always been read."""
    return {p: found[p] for p in sorted(found, key=lambda p: p.split(os.sep))}
