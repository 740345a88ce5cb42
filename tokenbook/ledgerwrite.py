"""Writing ledgers: each named ledger's records file and summary, canonically, only when their
bytes change."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import TypeVar

from tokenbook.fileio import write_if_changed
from tokenbook.ledger import LedgerRow
from tokenbook.ledgerfiles import LEDGER_DIR
from tokenbook.ledgerfiles import LedgerFiles
from tokenbook.recordfile import format_records
from tokenbook.summary import format_summary

if TYPE_CHECKING:
    from tokenbook.store import LedgerSet

# A ledger's records file from its name and migrated rows, when made another way than from
# every record (`delta.py` splices the few records that changed into the file as it was).
RecordsText = Callable[[str, list[LedgerRow]], str]
T = TypeVar("T")


def write_ledgers(
    ledgers: LedgerSet, names: Iterable[str], records_text: RecordsText | None = None
) -> list[str]:
    """Rewrite the named ledgers (records and summary) canonically; return those that changed.
    Migrated rows that records replace are dropped here."""
    for rid in ledgers.dropped:
        ledgers.legacy.pop(rid, None)
    ledgers.dropped.clear()
    chosen = sorted(set(names))
    rows = _per_ledger(chosen, ((rid[0], p.row) for rid, p in ledgers.rows.items()))
    legacy = _per_ledger(chosen, ((rid[0], row) for rid, row in ledgers.legacy.items()))
    if records_text is None:
        records = _per_ledger(chosen, ledgers.records.values())
    folder = ledgers.root / LEDGER_DIR
    files = []  # every text made before any is written: a kill leaves no ledger half-written
    for name in chosen:
        if records_text is None:
            text = format_records(records[name], legacy[name])
        else:
            text = records_text(name, legacy[name])
        summary = format_summary(name, ledgers.timezone, rows[name])
        files += [(folder / f"{name}.tsv", text), (folder / f"{name}.md", summary)]
        ledgers.files.setdefault(name, LedgerFiles(name))
    # One file at a time (a failed write names its file and leaves the others as they were);
    # a kill between a records file and its summary leaves a stale summary, which `check` warns
    # about and the next sync rewrites.
    changed = [write_if_changed(path, text) for path, text in files]
    return [name for i, name in enumerate(chosen) if changed[2 * i] or changed[2 * i + 1]]


def _per_ledger(names: list[str], items: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = {name: [] for name in names}
    for name, item in items:
        if name in out:
            out[name].append(item)
    return out
