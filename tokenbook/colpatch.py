"""The ledger cache's record columns (`reccolumns.Columns`) with some records replaced, without
making the others: what a sync that touched a few sessions writes back.

The columns `store.save_cache` writes are in canonical order (ledger, time, id); the records
given are put where that order wants them and the removed ones are cut out, so the result is
what encoding every record again would give, in a few slices of each column.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from datetime import UTC
from datetime import timedelta
from typing import Any

from tokenbook.reccolumns import CONTEXT_FIELDS
from tokenbook.reccolumns import ID_DIGITS
from tokenbook.reccolumns import NUMBERS
from tokenbook.reccolumns import Columns
from tokenbook.records import EPOCH
from tokenbook.records import Context
from tokenbook.records import Rec

_US = timedelta(microseconds=1)
Placed = tuple[str, Rec]  # (ledger, record)


def canonical_key(ledger: str, rec: Rec) -> tuple[str, int, str]:
    """The order `store.save_cache` keeps the records in."""
    return (ledger, (rec.at - EPOCH) // _US, rec.id)


def replace(cols: Columns, removed: Sequence[int], records: Sequence[Placed]) -> Columns:
    """`cols` without the records at `removed` (positions) and with `records` (none of which
    is still at a position not removed) in canonical order; TypeError when one cannot be kept
    exactly (as `reccolumns.encode`)."""
    gone = set(removed)
    new = sorted(records, key=lambda p: canonical_key(*p))
    at = cols.numbers["at"]

    def key_of(i: int) -> tuple[str, int, str]:
        return (cols.ledger(i), at[i], cols.rid(i))

    places = [bisect.bisect_left(range(len(cols)), canonical_key(*p), key=key_of) for p in new]
    inserts: dict[int, list[Placed]] = {}
    for pos, p in zip(places, new, strict=True):
        inserts.setdefault(pos, []).append(p)
    out = _Builder(cols)
    start = 0
    for cut in sorted(gone | set(inserts)):
        out.copy(start, cut)
        for p in inserts.get(cut, []):
            out.add(*p)
        start = cut + 1 if cut in gone else cut
    out.copy(start, len(cols))
    for p in inserts.get(len(cols), []):
        out.add(*p)
    return out.done()


class _Builder:
    """New columns made of runs of the old ones and new records."""

    def __init__(self, cols: Columns) -> None:
        self.cols = cols
        self.ledgers = {name: i for i, name in enumerate(cols.ledgers)}
        self.table = list(cols.table)
        self.kinds = {tuple(row): i for i, row in enumerate(self.table)}
        self.ids: list[str] = []
        self.where, self.kind = array("I"), array("I")
        self.numbers = {name: array("q") for name in NUMBERS}
        self.copies = bytearray()

    def copy(self, start: int, stop: int) -> None:
        if stop <= start:
            return
        c = self.cols
        self.ids.append(c.ids[start * ID_DIGITS : stop * ID_DIGITS])
        self.where.extend(c.where[start:stop])
        self.kind.extend(c.kinds[start:stop])
        for name, column in self.numbers.items():
            column.extend(c.numbers[name][start:stop])
        self.copies += c.copies[start:stop]

    def add(self, ledger: str, r: Rec) -> None:
        if len(r.id) != ID_DIGITS or not r.id.isascii() or r.at.tzinfo is not UTC:
            raise TypeError("a record id or time of another kind")
        self.ids.append(r.id)
        self.where.append(self.ledgers.setdefault(ledger, len(self.ledgers)))
        self.kind.append(self._kind(r.ctx))
        t, n = r.tokens, self.numbers
        values = (
            (r.at - EPOCH) // _US,
            t.input,
            t.output,
            t.cache_write_5m,
            t.cache_write_1h,
            t.cache_read,
            r.web_search,
            r.web_fetch,
        )
        for name, value in zip(NUMBERS, values, strict=True):
            n[name].append(value)
        self.copies.append(r.copy)

    def _kind(self, ctx: Context) -> int:
        row = tuple(getattr(ctx, name) for name in CONTEXT_FIELDS)
        kind = self.kinds.get(row)
        if kind is None:
            if any(type(v) not in (str, bool) for v in row):
                raise TypeError("a context field of another kind")
            kind = self.kinds[row] = len(self.table)
            self.table.append(row)
        return kind

    def done(self) -> Columns:
        self._compact()
        numbers = [self.numbers[name].tobytes() for name in NUMBERS]
        data: tuple[Any, ...] = (
            list(self.ledgers),
            self.table,
            "".join(self.ids),
            self.where.tobytes(),
            self.kind.tobytes(),
            *numbers,
            bytes(self.copies),
        )
        return Columns(data)

    def _compact(self) -> None:
        """Drop the contexts no record uses any more, once they are an eighth of the table."""
        used = sorted(set(self.kind))
        if (len(self.table) - len(used)) * 8 <= len(self.table):
            return
        renumber = {old: new for new, old in enumerate(used)}
        self.table = [self.table[k] for k in used]
        self.kind = array("I", [renumber[k] for k in self.kind])
