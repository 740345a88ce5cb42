"""The disposable sync cache (`<vault>/.tokenbook-cache/sync.bin`): read only what is new.

It holds, per log file, its identity (device, inode), size, mtime, ctime, the offset and line number
just after its last complete line, a hash of the 4 KiB before that offset (an append keeps it, a
rewrite does not) and its problems so far; and the global dedup state: per response key its
winning usage and envelope (`claude_code.Record`) and the ledger row key it is counted in. A sync
joins the records of the new bytes into that state, then regroups only the rows whose responses
changed, from every response counted in them, so each row is recomputed exactly.

The state only grows (the join of everything ever read): a log that shrinks, is rewritten or is
deleted never takes usage out, just as a deleted log never deletes ledger rows. Deleting this
cache gives the same ledgers (the store keeps the larger of two snapshots). A cache that cannot
be read, from another format version or Python, or for another timezone, is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.events import UsageEvent
from tokenbook.fileio import LOCK_NAME
from tokenbook.ledger import Key
from tokenbook.sources import claude_code
from tokenbook.sources.claude_code import EPOCH
from tokenbook.sources.claude_code import Deduper
from tokenbook.sources.claude_code import FileScan
from tokenbook.sources.claude_code import Job
from tokenbook.sources.claude_code import Progress
from tokenbook.sources.claude_code import Record
from tokenbook.sources.claude_code import micros
from tokenbook.store import LEDGER_DIR
from tokenbook.store import Groups
from tokenbook.store import event_key
from tokenbook.store import group_keyed

CACHE_DIR = ".tokenbook-cache"
CACHE_FILE = "sync.bin"
FORMAT = 3
MAGIC = b"tokenbook sync cache %d python %d.%d\n" % (FORMAT, *sys.version_info[:2])
_HEAD = struct.Struct("<QIQI")  # index length, crc32; state length, crc32

# dev, ino, size, mtime_ns, offset, lines, mark, skipped [(line, why)], tail [(line, why)], ctime_ns
Entry = tuple[
    int, int, int, int, int, int, bytes, list[tuple[int, str]], list[tuple[int, str]], int
]
Fingerprint = tuple[tuple[str, int, int], ...]
SKIP_DIRS = {".git", CACHE_DIR, "__pycache__"}


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
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):
            st = path.stat()
            out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(slots=True)
class Update:
    """What one incremental read found: counts for the summary and the rows to recompute."""

    files: int = 0
    read_files: int = 0
    bytes: int = 0
    responses: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    limits: list[LimitEvent] = field(default_factory=list)
    limits_changed: bool = False
    groups: Groups = field(default_factory=dict)
    # How many responses each recomputed row held before this update, by the cache's count.
    # When a ledger row holds exactly that many, the cache knew all of it and the recomputed
    # row is exact even if smaller (a response moved to another row: a late final line with
    # another speed or model, a subagent's type found later).
    before: dict[Key, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Index:
    timezone: str
    files: dict[str, Entry] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)
    ledgers: Fingerprint = ()
    responses: int = 0
    limits: list[tuple[int, int, str]] = field(default_factory=list)
    vault: Fingerprint = ()  # the whole vault after the last sync
    rendered: bool = False  # whether the last sync rendered
    unpriced: list[str] = field(default_factory=list)  # what the last sync found unpriced


class SyncCache:
    """The cache of one vault. `update` reads the logs; `save` writes it back atomically."""

    def __init__(self, root: Path, timezone: str) -> None:
        self.root = root
        self.index = _Index(timezone)
        self._bulk: tuple[int, int, int] | None = None  # where the state part is
        self._dedup: Deduper | None = None
        self._gids: dict[str, Key | None] = {}
        self.dirty = False

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / CACHE_FILE

    @classmethod
    def load(cls, root: Path, timezone: str | None = None) -> SyncCache:
        """The vault's cache, or an empty one when it is missing, unreadable or not for us
        (`timezone` None: for whatever timezone it was written, checked by the caller). Only
        the small index is read here; the dedup state when a sync needs it."""
        cache = cls(root, timezone or "")
        try:
            with open(cache.path, "rb") as f:
                index, cache._bulk = _read_index(f)
            loaded = _Index(*marshal.loads(index))
        except (OSError, ValueError, EOFError, TypeError, struct.error):
            return cls(root, timezone or "")
        if timezone is not None and loaded.timezone != timezone:
            return cls(root, timezone)
        cache.index = loaded
        return cache

    def _state(self) -> Deduper:
        if self._dedup is None:
            self._dedup = Deduper()
            if self._bulk is not None:
                try:
                    responses, gids, limits = marshal.loads(_read_bulk(self.path, *self._bulk))
                except (OSError, ValueError, EOFError, TypeError):
                    self.index = _Index(self.index.timezone)  # unreadable: start again
                else:
                    self._dedup.responses, self._gids = responses, gids
                    self._dedup.limits = {
                        k: _limit(at, reset, session) for k, (at, reset, session) in limits.items()
                    }
                self._bulk = None
        return self._dedup

    def update(
        self, dirs: Sequence[Path], progress: Progress | None = None, *, regroup_all: bool = False
    ) -> Update:
        """Read what is new in the logs under `dirs`; return the rows whose totals may differ
        (all of them with `regroup_all`, e.g. when the ledgers changed behind the cache's back)."""
        files, metas = claude_code.walk(dirs)
        jobs, stats = self._plan(files)
        if jobs or regroup_all:
            self._state()  # may reset the index when the state part is unreadable
            jobs, stats = self._plan(files)
        todo = sum(stats[p].st_size - start for p, start, _ in jobs)
        entries = {p: e for p, e in self.index.files.items() if p in stats}
        changed: set[str] = set()
        limits_changed = False
        for s in claude_code.scan_all(jobs, todo, progress):
            dedup = self._state()
            changed.update(dedup.join(s.responses))
            limits_changed |= dedup.join_limits(s.limits)
            if s.missing:  # deleted since it was listed: what was read of it stays counted
                entries.pop(s.path, None)
            else:
                entries[s.path] = self._entry(s, stats[s.path], entries.get(s.path))
        kept = {str(p) for p in files}
        new_files = {p: e for p, e in sorted(entries.items()) if p in kept}
        agents = claude_code.agent_types(files, metas)
        out = Update(files=len(files), read_files=len(jobs), bytes=todo)
        out.limits_changed = limits_changed
        if changed or regroup_all or agents != self.index.agents:
            out.groups, out.before = self._regroup(changed, agents, regroup_all)
            self.dirty = True
        if limits_changed or new_files != self.index.files:
            self.dirty = True
        self.index.files, self.index.agents = new_files, agents
        if self._dedup is not None:
            self.index.limits = sorted(
                (micros(e.at), micros(e.reset_at), e.session) for e in self._dedup.limit_events()
            )
        out.responses = self.index.responses
        out.limits = [_limit(*t) for t in self.index.limits]
        out.skipped = [
            Skipped(p, n, why) for p, e in new_files.items() for n, why in [*e[7], *e[8]]
        ]
        return out

    def _plan(self, files: Sequence[Path]) -> tuple[list[Job], dict[str, os.stat_result]]:
        """Which files to read and from where: unchanged files not at all, appended ones from
        their last complete line, new or rewritten ones from the start."""
        jobs: list[Job] = []
        stats: dict[str, os.stat_result] = {}
        for p in files:
            path = str(p)
            try:
                st = os.stat(path)
            except FileNotFoundError:
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

    def _entry(self, s: FileScan, st: os.stat_result, known: Entry | None) -> Entry:
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

    def _regroup(
        self, changed: set[str], agents: dict[str, str], full: bool
    ) -> tuple[Groups, dict[Key, int]]:
        """Recompute every row that holds (or held) a changed response, from all its responses
        (with `full`, every row); with the number of responses each held before."""
        dedup = self._state()
        responses, gids = dedup.responses, self._gids
        main = dedup.main_ids()
        affected = set() if full else self._affected(changed, agents)
        before = Counter(g for g in gids.values() if g is not None)
        if full or 2 * len(affected) > len(responses):  # most rows change: all in one pass
            gids.clear()
            groups = group_keyed(self._events(responses, agents, main))
            self.index.responses = len(gids)
            return groups, dict(before)
        tz = ZoneInfo(self.index.timezone)
        keys: set[Key] = set()
        for k in affected:
            r = responses[k]
            old = gids.pop(k, None)
            if r[2] or claude_code.message_id(k) not in main:
                gids[k] = new = event_key(claude_code.event(k, r, agents), tz)
                keys.add(new)
            if old is not None:
                keys.add(old)
        self.index.responses = len(gids)
        groups = group_keyed(
            (g, claude_code.event(k, responses[k], agents)) for k, g in gids.items() if g in keys
        )
        return groups, {g: before[g] for g in keys if before[g]}

    def _events(
        self, responses: dict[str, Record], agents: dict[str, str], main: set[str]
    ) -> Iterator[tuple[Key, UsageEvent]]:
        """Every counted response as an event, noting the row it counts in (one at a time:
        memory holds the records, not all events at once)."""
        tz = ZoneInfo(self.index.timezone)
        shared: dict[Key, Key] = {}  # one key object per row, not one per response
        for k, r in responses.items():
            if r[2] or claude_code.message_id(k) not in main:
                e = claude_code.event(k, r, agents)
                key = event_key(e, tz)
                self._gids[k] = key = shared.setdefault(key, key)
                yield key, e

    def _affected(self, changed: set[str], agents: dict[str, str]) -> set[str]:
        """The changed responses, plus those whose counting depends on them: sidechain copies
        of a message now answered on the main thread, and subagents whose type changed."""
        responses = self._state().responses
        affected = set(changed)
        known = self.index.agents
        moved = {a for a in {*agents, *known} if agents.get(a) != known.get(a)}
        news = {claude_code.message_id(k) for k in changed if responses[k][2]}
        if moved or news:
            for k, r in responses.items():
                env = r[1]
                if (env[1] and env[5] in moved) or (not r[2] and claude_code.message_id(k) in news):
                    affected.add(k)
        return affected

    def unchanged_vault(self, render: bool) -> bool:
        """Nothing in the vault changed since the last sync (which rendered, if `render`)."""
        if render and not self.index.rendered:
            return False
        return bool(self.index.vault) and self.index.vault == vault_fingerprint(self.root)

    def save(self, *, ledgers: Fingerprint, rendered: bool, unpriced: list[str]) -> None:
        """Write the cache atomically (temp file + rename); the caller holds the vault lock and
        has written the ledgers (and rendered) already."""
        vault = vault_fingerprint(self.root)
        known = (self.index.ledgers, self.index.rendered, self.index.unpriced, self.index.vault)
        if not self.dirty and known == (ledgers, rendered, unpriced, vault):
            return
        self.index.ledgers, self.index.rendered = ledgers, rendered
        self.index.unpriced, self.index.vault = unpriced, vault
        dedup = self._state()
        index = marshal.dumps(
            (
                self.index.timezone,
                self.index.files,
                self.index.agents,
                self.index.ledgers,
                self.index.responses,
                self.index.limits,
                self.index.vault,
                self.index.rendered,
                self.index.unpriced,
            )
        )
        limits = {k: (micros(e.at), micros(e.reset_at), e.session) for k, e in dedup.limits.items()}
        bulk = marshal.dumps((dedup.responses, self._gids, limits))
        head = _HEAD.pack(len(index), zlib.crc32(index), len(bulk), zlib.crc32(bulk))
        with contextlib.suppress(OSError):  # disposable: without it the next sync reads more
            _write_atomic(self.path, [MAGIC, head, index, bulk])
        self.dirty = False


def _limit(at: int, reset: int, session: str) -> LimitEvent:
    return LimitEvent(
        at=EPOCH + timedelta(microseconds=at),
        reset_at=EPOCH + timedelta(microseconds=reset),
        session=session,
    )


def _read_index(f: BinaryIO) -> tuple[bytes, tuple[int, int, int]]:
    """The index part, checked, and where the state part is (offset, length, crc32)."""
    if f.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a cache of this format")
    n1, c1, n2, c2 = _HEAD.unpack(f.read(_HEAD.size))
    index = f.read(n1)
    start = len(MAGIC) + _HEAD.size + n1
    if len(index) != n1 or zlib.crc32(index) != c1 or os.fstat(f.fileno()).st_size != start + n2:
        raise ValueError("damaged cache")
    return index, (start, n2, c2)


def _read_bulk(path: Path, start: int, length: int, crc: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(length)
    if len(data) != length or zlib.crc32(data) != crc:
        raise ValueError("damaged cache")
    return data


def _mark(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return claude_code.mark(f, offset)
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
