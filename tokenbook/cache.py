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
import os
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from tokenbook import held
from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.others import read_others
from tokenbook.records import Rec
from tokenbook.sources import claude_code
from tokenbook.sources import claude_read
from tokenbook.sources.claude_code import unlisted
from tokenbook.sources.claude_read import Job
from tokenbook.sources.claude_read import Progress
from tokenbook.sources.claude_records import Record
from tokenbook.sources.claude_scan import FileScan
from tokenbook.sources.claude_scan import mark
from tokenbook.syncindex import CACHE_DIR
from tokenbook.syncindex import CACHE_FILE
from tokenbook.syncindex import MAGIC as MAGIC
from tokenbook.syncindex import Entry
from tokenbook.syncindex import Fingerprint
from tokenbook.syncindex import Index
from tokenbook.syncindex import ledger_fingerprint as ledger_fingerprint
from tokenbook.syncindex import load_index
from tokenbook.syncindex import others_fingerprint
from tokenbook.syncindex import stat_of
from tokenbook.syncindex import vault_fingerprint as vault_fingerprint
from tokenbook.syncindex import walk_logs


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
    read_paths: list[str] = field(default_factory=list)  # the Claude Code logs read now
    ids: dict[str, str] = field(default_factory=dict)  # log key → record id, of `records`
    paths: list[str] = field(default_factory=list)  # every log file found

    @property
    def empty(self) -> bool:
        return not (self.records or self.limits or self.agents_changed or self.extra)


class SyncCache:
    """The cache of one vault. `read` reads the logs; `save` writes it back atomically."""

    def __init__(self, root: Path, timezone: str) -> None:
        self.root = root
        self.index = Index(timezone)
        self.dirty = False
        self._held: held.Held | None = None
        self.held_dirty = False

    @property
    def held(self) -> held.Held:
        """Which responses each log file holds (`held.py`), read on first use."""
        if self._held is None:
            self._held = held.load(self.root)
        return self._held

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / CACHE_FILE

    @classmethod
    def load(cls, root: Path, timezone: str | None = None) -> SyncCache:
        """The vault's cache, or an empty one when it is missing, unreadable or not for us
        (`timezone` None: for whatever timezone it was written, checked by the caller)."""
        cache = cls(root, timezone or "")
        loaded = load_index(root)
        if loaded is None or (timezone is not None and loaded.timezone != timezone):
            return cache
        cache.index = loaded
        return cache

    def keep_resolution(self, resolution: tuple[Any, ...] | None) -> None:
        """How this sync's command found its log folders (for `noop.py`)."""
        if resolution != self.index.resolution:
            self.index.resolution = resolution
            self.dirty = True

    def peek(self, dirs: Sequence[Path]) -> tuple[Update, set[str]]:
        """What the logs under `dirs` hold now, reading only what the last sync did not: the
        records in the bytes after its offsets, and the ids of every response the logs hold.
        Nothing is saved (use a cache loaded for this alone)."""
        update = self.read(dirs)
        found: set[str] = set()
        for path in update.paths:
            if path in self.held:
                found |= held.ids(self.held[path])
        return update, found

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
        found_logs, metas, unreadable = walk_logs([os.path.abspath(d) for d in dirs])
        problems = [Skipped(path, 0, unlisted(why)) for path, why in unreadable]
        jobs, stats = self._plan(found_logs)
        out = Update(
            files=len(found_logs), read_files=len(jobs), read_paths=[p for p, _, _ in jobs]
        )
        out.bytes = sum(stats[p].st_size - start for p, start, _ in jobs)
        entries = {p: e for p, e in self.index.files.items() if p in stats}
        found = claude_read.read_jobs(jobs, {p: st.st_size for p, st in stats.items()}, progress)
        # In the order the files and their lines come (however the reading was shared out).
        out.records = {k: found.responses[k] for s in found.files for k in s.keys}
        out.paths = list(found_logs)
        out.ids = held.ids_of(out.records)
        if held.note(self.held, found.files, out.ids) | held.keep_only(self.held, found_logs):
            self.held_dirty = True
        for s in found.files:
            out.skipped += _new_problems(s, entries.get(s.path))
            if s.missing or s.failed:  # deleted since listed, or unreadable: no entry
                entries.pop(s.path, None)
            else:
                entries[s.path] = _entry(s, stats[s.path], entries.get(s.path))
        new_files = {p: e for p, e in sorted(entries.items()) if p in found_logs}
        out.limits = sorted(found.limits.values())
        out.agents = claude_code.agent_types([], [Path(m) for m in metas])
        out.agents_changed = out.agents != self.index.agents
        out.skipped = problems + out.skipped
        out.skipped_total = len(problems) + sum(len(e[7]) + len(e[8]) for e in new_files.values())
        meta_stats = {m: stat_of(st) for m, st in metas.items()}
        if (new_files, meta_stats) != (self.index.files, self.index.metas) or out.agents_changed:
            self.dirty = True
        self.index.files, self.index.agents = new_files, out.agents
        self.index.metas = meta_stats
        self._read_others(others or {}, out)
        out.skipped_total += len(self.index.other_problems)
        return out

    def _read_others(self, others: Mapping[str, Sequence[Path]], out: Update) -> None:
        found = others_fingerprint({k: list(v) for k, v in others.items()})
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

    def _plan(
        self, found: Mapping[str, os.stat_result]
    ) -> tuple[list[Job], dict[str, os.stat_result]]:
        """Which files to read and from where: unchanged files not at all, appended ones from
        their last complete line, new or rewritten ones from the start."""
        jobs: list[Job] = []
        stats: dict[str, os.stat_result] = {}
        for path, st in found.items():
            stats[path] = st
            e = self.index.files.get(path)
            same = e is not None and (e[0], e[1]) == (st.st_dev, st.st_ino)
            if e is None or not same or self.held.get(path, (-1,))[0] != e[4]:
                jobs.append((path, 0, 0))  # new, replaced, or what it holds is not known
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
        if self.held_dirty:
            held.save(self.root, self.held)
            self.held_dirty = False
        known = (self.index.ledgers, self.index.rendered, self.index.unpriced, self.index.vault)
        if not self.dirty and known == (ledgers, rendered, unpriced, vault):
            return
        self.index.ledgers, self.index.rendered = ledgers, rendered
        self.index.unpriced, self.index.vault = unpriced, vault
        with contextlib.suppress(OSError):  # disposable: without it the next sync reads more
            _write_atomic(self.path, [self.index.dump()])
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


def _mark(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return mark(f, offset)
    except OSError:
        return b""


def _write_atomic(path: Path, parts: list[bytes]) -> None:
    import tempfile  # with shutil, bz2 and lzma: only for a sync

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
