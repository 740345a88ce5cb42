"""All ledgers of a vault as one set: read records (or format-1 rows), resolve, tally, write.

Ledger format 2 keeps, per bet, `ledgers/<bet>.tsv` (the records: one line per response, see
`records.py`) and `ledgers/<bet>.md` (a summary written from them). A format-1 ledger (a
markdown table of row snapshots and no `.tsv`) is read as migrated history and written in
format 2 by the next command that writes ledgers.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from tokenbook import ledgercache
from tokenbook.attribution import Place
from tokenbook.attribution import contexts
from tokenbook.derived import Derived
from tokenbook.errors import VaultError
from tokenbook.grouping import event_key
from tokenbook.grouping import group_events
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.ledgerfiles import LEDGER_DIR
from tokenbook.ledgerfiles import LedgerFiles
from tokenbook.ledgerfiles import read_ledgers
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.reccolumns import Columns
from tokenbook.records import EPOCH
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.tally import Placed
from tokenbook.tally import RowId
from tokenbook.tally import tally

Records = dict[str, tuple[str, Rec]]  # record id → (ledger, record)
__all__ = [
    "LEDGER_DIR",
    "LedgerFiles",
    "LedgerSet",
    "Placed",
    "event_key",
    "group_events",
    "load_ledgers",
    "read_ledgers",
]


@dataclass(slots=True)
class LedgerSet:
    """Every response once, in the ledger it belongs to, and the rows tallied from them."""

    root: Path
    timezone: str
    files: dict[str, LedgerFiles]
    _records: Records | None  # see `records`
    legacy: dict[RowId, LedgerRow]  # migrated format-1 rows still standing
    rows: dict[RowId, Placed] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)  # per session, with the rows
    dropped: set[RowId] = field(default_factory=set)  # migrated rows that records replace
    in_two: dict[str, list[str]] = field(default_factory=dict)  # id → ledgers (after a merge)
    merged: int = 0  # repeated record lines joined on reading (union merges)
    _places: dict[str, Place] | None = None
    _cached: ledgercache.Cached | None = None  # the records, still in the cache's columns

    @property
    def records(self) -> Records:
        """Record id → (ledger, record); from the cache, made on first use."""
        if self._records is None:
            self._records = self._cached.records() if self._cached is not None else {}
        return self._records

    def record_ids(self) -> tuple[set[str], set[str]]:
        """Every record's id, and those on a main thread (from the cache's columns, if unmade)."""
        if self._records is None and self._cached is not None:
            return self._cached.ids()
        mains = {rid for rid, (_, r) in self.records.items() if r.ctx.main}
        return set(self.records), mains

    def columns(self) -> Columns | None:
        """The records as the cache's columns, while they have not been made."""
        return self._cached.columns if self._records is None and self._cached else None

    def records_since(self, at: datetime) -> Records:
        """The records at or after `at` (only those are made, when from the cache)."""
        if self._records is None and self._cached is not None:
            return self._cached.records((at - EPOCH) // timedelta(microseconds=1))
        return {rid: found for rid, found in self.records.items() if found[1].at >= at}

    def retally(self) -> None:
        found = tally(self.records, self.legacy, self.timezone, self.places(), self.dropped)
        self.rows, gone, self.derived = found
        self.dropped |= gone

    def places(self) -> dict[str, Place]:
        """`attribution.contexts` of every record, kept until a record changes (`place`)."""
        if self._places is None:
            self._places = contexts(r for _, r in self.records.values())
        return self._places

    def by_ledger(self) -> dict[str, list[LedgerRow]]:
        """Rows per ledger in key order (so views never depend on the order rows were added)."""
        out: dict[str, list[LedgerRow]] = {name: [] for name in self.files}
        for (name, _), placed in sorted(self.rows.items()):
            out.setdefault(name, []).append(placed.row)
        return out

    def by_key(self) -> dict[Key, Placed]:
        """Rows by key alone (a key in two ledgers: the first ledger by name)."""
        out: dict[Key, Placed] = {}
        for (_, key), placed in sorted(self.rows.items(), reverse=True):
            out[key] = placed
        return out

    def records_of(self, name: str) -> list[Rec]:
        return [r for ledger, r in self.records.values() if ledger == name]

    @property
    def cached(self) -> ledgercache.Cached | None:
        """What the ledger cache held, when the ledgers were read from it."""
        return self._cached

    def set_columns(self, columns: Columns) -> None:
        """The records, changed by a sync that touched a few sessions (`delta.py`)."""
        assert self._records is None
        assert self._cached is not None
        self._cached.columns, self._places = columns, None

    def keep_places(self, places: dict[str, Place]) -> None:
        """The contexts of the records as they are now (computed by the caller)."""
        self._places = places

    def place(self, rec: Rec, ledger: str) -> None:
        known = self.records.get(rec.id)
        if known is None or known[1] is not rec:
            self._places = None
        self.records[rec.id] = (ledger, rec)

    def relabel(self, rec: Rec, ledger: str) -> None:
        """`place` a record whose labels alone changed (command, skill, run kind, agent type):
        where its session worked stays as it was."""
        self.records[rec.id] = (ledger, rec)

    def duplicates(self) -> int:
        return self.merged + sum(len(v) - 1 for v in self.in_two.values())


def load_ledgers(
    vault: Vault, explicit: Mapping[str, str] | None = None, *, cached: bool = True
) -> LedgerSet:
    """Read every ledger; raise VaultError if any cannot be fully read (sync must not write).
    `explicit`: session → bet of the `sessions:` lists, which wins when a response was placed in
    two ledgers (two clones attributed it differently). `cached`: from `.tokenbook-cache/` when
    it holds these very files (`ledgercache`); `check` reads the files themselves."""
    root, timezone = vault.root, vault.settings.timezone
    explicit = (
        explicit if explicit is not None else {s: b.id for b in vault.bets for s in b.sessions}
    )
    key = ledgercache.key(root, timezone, explicit) if cached else None
    found = ledgercache.load(root, key)
    if found is not None:
        return _from_cache(root, timezone, found)
    ledgers = _parse_all(root, timezone, explicit)
    files, legacy, rows, in_two, merged, dropped, derived = _cache_data(ledgers)
    ledgercache.save(
        root, key, files, ledgers.records, legacy, rows, in_two, merged, dropped, derived
    )
    return ledgers


def save_cache(ledgers: LedgerSet, explicit: Mapping[str, str]) -> None:
    """Cache the ledgers `sync` just wrote (it wrote every ledger whose records or rows changed,
    and all of them when a merge left a response twice): the next command need not read them."""
    key = ledgercache.key(ledgers.root, ledgers.timezone, explicit)
    columns = ledgers.columns()  # a sync that touched a few sessions patched them in order
    records: Records | Columns = (
        columns
        if columns is not None
        else dict(sorted(ledgers.records.items(), key=lambda kv: (kv[1][0], kv[1][1].at, kv[0])))
    )
    files, legacy, rows = _cache_data(ledgers)[:3]
    folder = ledgers.root / LEDGER_DIR
    files = [(n, migrating and not (folder / f"{n}.tsv").exists()) for n, migrating in files]
    # Written: no line repeats, no response is in two files, no migrated row is superseded.
    derived = ledgers.derived
    known = ledgers.cached
    ledgercache.save(
        ledgers.root, key, files, records, legacy, rows, {}, 0, set(), derived, True, known
    )


def _from_cache(root: Path, timezone: str, found: ledgercache.Cached) -> LedgerSet:
    files = {name: LedgerFiles(name, format1=migrating) for name, migrating in found.files}
    ledgers = LedgerSet(root, timezone, files, None, found.legacy, found.rows)
    ledgers.in_two, ledgers.merged, ledgers._cached = found.in_two, found.merged, found
    ledgers.derived = found.derived
    ledgers.dropped = found.dropped
    return ledgers


def _cache_data(ledgers: LedgerSet) -> tuple[Any, ...]:
    """What `ledgercache.save` keeps, in the order reading the files gives."""
    names = dict.fromkeys(p.stem for p in ledgercache.paths(ledgers.root))
    files = [(n, ledgers.files[n].migrating) for n in names if n in ledgers.files]
    legacy = dict(sorted(ledgers.legacy.items()))
    rows, in_two, merged = ledgers.rows, ledgers.in_two, ledgers.merged
    dropped, derived = ledgers.dropped, ledgers.derived
    return files, legacy, rows, in_two, merged, dropped, derived


def _parse_all(root: Path, timezone: str, explicit: Mapping[str, str]) -> LedgerSet:
    files, problems = read_ledgers(root, timezone)
    if problems:
        raise VaultError(problems)
    ledgers = LedgerSet(root, timezone, files, {}, {})
    seen: dict[str, list[str]] = {}
    for name, entry in sorted(files.items()):
        if entry.records is not None:
            ledgers.merged += entry.records.merged
            for rec in entry.records.records.values():
                seen.setdefault(rec.id, []).append(name)
                known = ledgers.records.get(rec.id)
                ledgers.records[rec.id] = (name, rec if known is None else join(known[1], rec))
            rows: Iterable[LedgerRow] = entry.records.legacy
        else:
            rows = entry.summary.rows if entry.summary is not None else ()
        for row in rows:
            rid = (name, row.key)
            known_row = ledgers.legacy.get(rid)
            ledgers.legacy[rid] = (
                row if known_row is None else max(known_row, row, key=LedgerRow.rank)
            )
    for rid_, names in seen.items():
        if len(names) > 1:
            rec = ledgers.records[rid_][1]
            ledgers.records[rid_] = (_pick(names, explicit.get(rec.ctx.session)), rec)
            ledgers.in_two[rid_] = names
    _one_legacy_per_key(ledgers, explicit)
    ledgers.retally()
    return ledgers


def _pick(names: list[str], explicit: str | None) -> str:
    """The ledger a response placed in several belongs to: the explicit bet, then any bet
    before `unassigned`, then by name (so every clone picks the same)."""
    return min(names, key=lambda n: (n != explicit, n == UNASSIGNED, n))


def _one_legacy_per_key(ledgers: LedgerSet, explicit: Mapping[str, str]) -> None:
    """A migrated row key in two ledgers (a format-1 union merge) stands once: the later
    snapshot, in the ledger `_pick` chooses between equals."""
    by_key: dict[Key, list[RowId]] = {}
    for rid in ledgers.legacy:
        by_key.setdefault(rid[1], []).append(rid)
    for key, rids in by_key.items():
        if len(rids) < 2:
            continue
        rows = {rid: ledgers.legacy[rid] for rid in rids}
        top = max(r.rank()[:3] for r in rows.values())
        best = [rid[0] for rid, r in rows.items() if r.rank()[:3] == top]
        keep = (_pick(best, explicit.get(key[1])), key)
        for rid in rids:
            if rid != keep:
                del ledgers.legacy[rid]
