"""The disposable sync cache (`<vault>/.tokenbook-cache/sync.bin`): read only what is new.

It holds, per log file, its identity (device, inode), size, mtime, ctime, the offset and line number
just after its last complete line, a hash of the 4 KiB before that offset (an append keeps it, a
rewrite does not) and its problems so far; the subagent types seen; and fingerprints of the vault
and its ledgers after the last sync. The responses themselves are not here: they are in the
ledgers' records, which a sync joins the new log lines into (`records.join`), so deleting this
cache only makes the next sync read every log again, and changes no figure.

When the ledgers changed behind the cache (a `git checkout`, a hand edit), every log is read
again, so a record the ledgers lost comes back from the logs that still hold it.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import sys
import tempfile
import zlib
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import BinaryIO

from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.fileio import LOCK_NAME
from tokenbook.others import fingerprint
from tokenbook.others import read_others
from tokenbook.records import Rec
from tokenbook.sources import claude_code
from tokenbook.sources import claude_read
from tokenbook.sources.claude_read import Job
from tokenbook.sources.claude_read import Progress
from tokenbook.sources.claude_records import Record
from tokenbook.sources.claude_scan import FileScan
from tokenbook.sources.claude_scan import mark

CACHE_DIR = ".tokenbook-cache"
CACHE_FILE = "sync.bin"
FORMAT = 5
MAGIC = b"tokenbook sync cache %d python %d.%d\n" % (FORMAT, *sys.version_info[:2])
_HEAD = struct.Struct("<QI")  # index length, crc32

# dev, ino, size, mtime_ns, offset, lines, mark, skipped [(line, why)], tail [(line, why)], ctime_ns
Entry = tuple[
    int, int, int, int, int, int, bytes, list[tuple[int, str]], list[tuple[int, str]], int
]
Fingerprint = tuple[tuple[str, int, int], ...]
SKIP_DIRS = {".git", CACHE_DIR, "__pycache__"}
LEDGER_DIR = "ledgers"


def vault_fingerprint(root: Path) -> Fingerprint:
    """Path, size and mtime of every vault file (not .git, the cache or the lock), and of
    tokenbook's own code and templates: if none changed, a sync with no new log bytes would
    write exactly what is there."""
    out = []
    for base, prefix in ((root, ""), (Path(__file__).parent, "<tokenbook>/")):
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                if name == LOCK_NAME:
                    continue
                path = os.path.join(folder, name)
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(path)
                    out.append((prefix + os.path.relpath(path, base), st.st_size, st.st_mtime_ns))
    return tuple(out)


def ledger_fingerprint(root: Path) -> Fingerprint:
    """Name, size and mtime of every ledger file: tells whether someone else changed them."""
    folder = root / LEDGER_DIR
    out = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):
            st = path.stat()
            out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(slots=True)
class Update:
    """What one read of the logs found: new records and problems, and counts for the summary."""

    files: int = 0
    read_files: int = 0
    bytes: int = 0
    records: dict[str, Record] = field(default_factory=dict)  # log key → joined record
    limits: list[LimitEvent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # first seen in this read
    skipped_total: int = 0  # every problem known in the logs read so far
    agents: dict[str, str] = field(default_factory=dict)  # agentId → type, from meta files
    agents_changed: bool = False
    extra: list[Rec] = field(default_factory=list)  # other agents' responses, when they changed

    @property
    def empty(self) -> bool:
        return not (self.records or self.limits or self.agents_changed or self.extra)


@dataclass(slots=True)
class _Index:
    timezone: str
    files: dict[str, Entry] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)
    ledgers: Fingerprint = ()
    vault: Fingerprint = ()  # the whole vault after the last sync
    rendered: bool = False  # whether the last sync rendered
    unpriced: list[str] = field(default_factory=list)  # what the last sync found unpriced
    # Thresholds crossed as of the last command that wrote ledgers (bet, cycle, threshold):
    # an appetite edit or a merge crosses one that the ledgers before the next sync already
    # cross. None: not known (a new cache): the ledgers before the command decide.
    alerted: list[tuple[str, str, int]] | None = None
    others: Fingerprint = ()  # the other agents' files as last read
    other_problems: list[tuple[str, int, str]] = field(default_factory=list)


class SyncCache:
    """The cache of one vault. `read` reads the logs; `save` writes it back atomically."""

    def __init__(self, root: Path, timezone: str) -> None:
        self.root = root
        self.index = _Index(timezone)
        self.dirty = False

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / CACHE_FILE

    @classmethod
    def load(cls, root: Path, timezone: str | None = None) -> SyncCache:
        """The vault's cache, or an empty one when it is missing, unreadable or not for us
        (`timezone` None: for whatever timezone it was written, checked by the caller)."""
        cache = cls(root, timezone or "")
        try:
            with open(cache.path, "rb") as f:
                loaded = _Index(*marshal.loads(_read_index(f)))
        except (OSError, ValueError, EOFError, TypeError, struct.error):
            return cls(root, timezone or "")
        if timezone is not None and loaded.timezone != timezone:
            return cls(root, timezone)
        cache.index = loaded
        return cache

    def forget_files(self) -> None:
        """Read every log from its start next time (the ledgers changed behind our back)."""
        self.index.files = {}
        self.index.others = ()
        self.dirty = True

    def read(
        self,
        dirs: Sequence[Path],
        progress: Progress | None = None,
        others: Mapping[str, Sequence[Path]] | None = None,
    ) -> Update:
        """Read what is new in the logs under `dirs` (Claude Code's), and the other agents'
        logs (`others`: folders per agent) when any of their files changed."""
        problems: list[Skipped] = []
        files, metas = claude_code.walk(dirs, problems)
        jobs, stats = self._plan(files)
        out = Update(files=len(files), read_files=len(jobs))
        out.bytes = sum(stats[p].st_size - start for p, start, _ in jobs)
        entries = {p: e for p, e in self.index.files.items() if p in stats}
        found = claude_read.read_jobs(jobs, {p: st.st_size for p, st in stats.items()}, progress)
        out.records = found.responses
        for s in found.files:
            out.skipped += _new_problems(s, entries.get(s.path))
            if s.missing or s.failed:  # deleted since listed, or unreadable: no entry
                entries.pop(s.path, None)
            else:
                entries[s.path] = _entry(s, stats[s.path], entries.get(s.path))
        limits = found.limits
        kept = {str(p) for p in files}
        new_files = {p: e for p, e in sorted(entries.items()) if p in kept}
        out.limits = sorted(limits.values())
        out.agents = claude_code.agent_types(files, metas)
        out.agents_changed = out.agents != self.index.agents
        out.skipped = problems + out.skipped
        out.skipped_total = len(problems) + sum(len(e[7]) + len(e[8]) for e in new_files.values())
        if new_files != self.index.files or out.agents_changed:
            self.dirty = True
        self.index.files, self.index.agents = new_files, out.agents
        self._read_others(others or {}, out)
        out.skipped_total += len(self.index.other_problems)
        return out

    def _read_others(self, others: Mapping[str, Sequence[Path]], out: Update) -> None:
        found = fingerprint(others)
        if found == self.index.others:
            return
        read = read_others(others)
        out.extra = read.records
        out.files += read.files
        out.read_files += read.files
        out.bytes += read.bytes
        known = set(self.index.other_problems)
        problems = [(p.path, p.line, p.message) for p in read.skipped]
        out.skipped += [Skipped(*p) for p in problems if p not in known]
        self.index.others, self.index.other_problems = found, problems
        self.dirty = True

    def _plan(self, files: Sequence[Path]) -> tuple[list[Job], dict[str, os.stat_result]]:
        """Which files to read and from where: unchanged files not at all, appended ones from
        their last complete line, new or rewritten ones from the start."""
        jobs: list[Job] = []
        stats: dict[str, os.stat_result] = {}
        for p in files:
            path = str(p)
            try:
                st = os.stat(path)
            except OSError:
                continue
            stats[path] = st
            e = self.index.files.get(path)
            if e is None or (e[0], e[1]) != (st.st_dev, st.st_ino):
                jobs.append((path, 0, 0))
            elif (e[2], e[3], e[9]) == (st.st_size, st.st_mtime_ns, st.st_ctime_ns):
                continue
            elif st.st_size >= e[4] and _mark(path, e[4]) == e[6]:
                jobs.append((path, e[4], e[5]))
            else:
                jobs.append((path, 0, 0))
        return jobs, stats

    def unchanged_vault(self, render: bool, fingerprint: Fingerprint) -> bool:
        """Nothing in the vault changed since the last sync (which rendered, if `render`)."""
        if render and not self.index.rendered:
            return False
        return bool(self.index.vault) and self.index.vault == fingerprint

    def save(
        self, *, ledgers: Fingerprint, vault: Fingerprint, rendered: bool, unpriced: list[str]
    ) -> None:
        """Write the cache atomically (temp file + rename); the caller holds the vault lock and
        has written the ledgers (and rendered) already."""
        known = (self.index.ledgers, self.index.rendered, self.index.unpriced, self.index.vault)
        if not self.dirty and known == (ledgers, rendered, unpriced, vault):
            return
        self.index.ledgers, self.index.rendered = ledgers, rendered
        self.index.unpriced, self.index.vault = unpriced, vault
        i = self.index
        index = marshal.dumps(
            (
                *(i.timezone, i.files, i.agents, i.ledgers, i.vault, i.rendered, i.unpriced),
                *(i.alerted, i.others, i.other_problems),
            )
        )
        head = _HEAD.pack(len(index), zlib.crc32(index))
        with contextlib.suppress(OSError):  # disposable: without it the next sync reads more
            _write_atomic(self.path, [MAGIC, head, index])
        self.dirty = False

    def save_alerted(self, alerted: list[tuple[str, str, int]]) -> None:
        """Record the thresholds crossed now (a command other than sync wrote the ledgers)."""
        if alerted != self.index.alerted:
            self.index.alerted = alerted
            self.dirty = True
            i = self.index
            self.save(ledgers=i.ledgers, vault=i.vault, rendered=i.rendered, unpriced=i.unpriced)

    def problems(self) -> list[Skipped]:
        """Every problem known in the logs read so far (for status, check and doctor)."""
        files = self.index.files.items()
        found = [Skipped(p, n, why) for p, e in files for n, why in [*e[7], *e[8]]]
        return found + [Skipped(*p) for p in self.index.other_problems]


def _new_problems(s: FileScan, known: Entry | None) -> list[Skipped]:
    """Problems this read found that no earlier read reported: an unfinished last line that is
    still unfinished is not news."""
    old_tail = set(known[8]) if known is not None and s.start > 0 else set()
    if known is not None and s.start == 0:
        old_tail = set(known[7]) | set(known[8])  # a file read again from its start
    fresh = [(n, why) for n, why in [*s.skipped, *s.tail] if (n, why) not in old_tail]
    return [Skipped(s.path, n, why) for n, why in fresh]


def _entry(s: FileScan, st: os.stat_result, known: Entry | None) -> Entry:
    before = known[7] if known is not None and s.start > 0 else []
    skipped = [*before, *s.skipped]
    return (
        st.st_dev,
        st.st_ino,
        s.size,
        st.st_mtime_ns,
        s.offset,
        s.lines,
        s.mark,
        skipped,
        s.tail,
        st.st_ctime_ns,
    )


def _read_index(f: BinaryIO) -> bytes:
    if f.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a cache of this format")
    n, crc = _HEAD.unpack(f.read(_HEAD.size))
    index = f.read(n)
    if len(index) != n or zlib.crc32(index) != crc or f.read(1):
        raise ValueError("damaged cache")
    return index


def _mark(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return mark(f, offset)
    except OSError:
        return b""


def _write_atomic(path: Path, parts: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
