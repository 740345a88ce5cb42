"""The ledgers as read (`store.LedgerSet`), cached in `.tokenbook-cache/ledgers.bin`.

Reading the records of a year (`ledgers/*.tsv`, one line per response) and tallying them into
rows is most of what a report costs; the cache holds the result keyed by the ledger files
(`cachefile`: their bytes and local identity), the timezone and the `sessions:` lists. Rows,
migrated rows and which ledgers exist are rebuilt at once; the records (only `sync`, `assign`
and the like need them) are kept as columns and rebuilt on first use. Only ledgers without
problems are cached, so a damaged ledger is read (and reported) every time.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

from tokenbook import cachefile
from tokenbook import reccolumns
from tokenbook.derived import DERIVED_PARTS
from tokenbook.derived import DERIVED_SHAPE
from tokenbook.derived import Derived
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.reccolumns import Columns
from tokenbook.reccolumns import Records
from tokenbook.records import EPOCH
from tokenbook.tally import Placed
from tokenbook.tally import RowId

CACHE_FILE = "ledgers.bin"
LEDGER_DIR = "ledgers"
_CODE = (
    "store.py",
    "recordfile.py",
    "records.py",
    "tally.py",
    "ledger.py",
    "attribution.py",
    "summary.py",
    "events.py",
    "localdays.py",
    "ledgercache.py",
    "derived.py",
    "reccolumns.py",
)


def paths(root: Path) -> list[Path]:
    """The ledger files, in the order `store.read_ledgers` reads them."""
    folder = root / LEDGER_DIR
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.md")) + sorted(folder.glob("*.tsv"))


def key(root: Path, timezone: str, explicit: Mapping[str, str]) -> bytes | None:
    h = cachefile.new_key("ledgers", *_CODE)
    h.update(f"{root}\0{timezone}\0{sorted(explicit.items())}\0".encode("utf-8", "replace"))
    if not cachefile.add_files(h, paths(root), root):
        return None
    return bytes(h.digest())


@dataclasses.dataclass(slots=True)
class Cached:
    """What `load` found: everything `store.LedgerSet` holds, its records still as columns."""

    files: list[tuple[str, bool]]  # ledger name, migrating (format 1)
    rows: dict[RowId, Placed]
    legacy: dict[RowId, LedgerRow]
    in_two: dict[str, list[str]]
    merged: int
    columns: Columns
    dropped: set[RowId]
    written: bool  # by `sync` right after writing these files: canonical, records in order
    derived: dict[str, Derived]  # what the tally keeps per session besides the rows
    stored: dict[int, tuple[LedgerRow, tuple[Any, ...]]]  # id(row) → the row, as stored

    def records(self, since: int | None = None) -> Records:
        """The records (those at or after `since`, µs since the epoch, when given)."""
        return self.columns.records(since)

    def ids(self) -> tuple[set[str], set[str]]:
        """Every record's id, and those of the records on a main thread."""
        return self.columns.id_sets()


def load(root: Path, found: bytes | None) -> Cached | None:
    if found is None:
        return None
    data = cachefile.read(root / cachefile.CACHE_DIR / CACHE_FILE, found)
    try:
        shape, files, rows, legacy, in_two, merged, columns, dropped, written, derived = data
        if shape != _SHAPE:
            return None
        placed = {(ledger, key): (Placed(ledger, _row(row)), row) for ledger, key, row in rows}
        return Cached(
            [(name, bool(migrating)) for name, migrating in files],
            {rid: p for rid, (p, _) in placed.items()},
            {(ledger, key): _row(row) for ledger, key, row in legacy},
            {rid: list(names) for rid, names in in_two.items()},
            int(merged),
            Columns(columns),
            {(ledger, key) for ledger, key in dropped},
            written is True,
            _derived(derived),
            {id(p.row): (p.row, row) for p, row in placed.values()},
        )
    except (TypeError, ValueError, IndexError, AttributeError, OverflowError):
        return None


def save(
    root: Path,
    found: bytes | None,
    files: list[tuple[str, bool]],
    records: Records | Columns,
    legacy: Mapping[RowId, LedgerRow],
    rows: Mapping[RowId, Placed],
    in_two: Mapping[str, list[str]],
    merged: int,
    dropped: set[RowId],
    derived: Mapping[str, Derived],
    written: bool = False,
    known: Cached | None = None,
) -> None:
    """Store the ledgers as `store.load_ledgers` reads them from the files `found` names
    (`written`: by sync, which has just written them canonically from these very records, kept
    in canonical order; `known`: the cache they were read from, whose rows are stored as
    they were)."""
    stored = known.stored if known is not None else {}
    if found is None:
        return
    try:
        data = (
            _SHAPE,
            files,
            [(p.ledger, rid[1], _stored(p.row, stored)) for rid, p in rows.items()],
            [(rid[0], rid[1], _row_data(row)) for rid, row in legacy.items()],
            dict(in_two),
            merged,
            records.data() if isinstance(records, Columns) else reccolumns.encode(records),
            sorted(dropped),
            written,
            dict(derived),
        )
    except (TypeError, ValueError):  # a value of an unexpected kind: not cached
        return
    cachefile.write(root / cachefile.CACHE_DIR / CACHE_FILE, found, data)


def _derived(data: Any) -> dict[str, Derived]:
    if not isinstance(data, dict) or not all(
        type(v) is tuple and len(v) == DERIVED_PARTS for v in data.values()
    ):
        raise TypeError("derived sums of another shape")
    return data


def _us(at: Any) -> int:
    if at.tzinfo is not UTC:
        raise TypeError("only UTC times are cached")
    return int((at - EPOCH) // timedelta(microseconds=1))


def _tokens(t: Tokens) -> tuple[int, int, int, int, int]:
    return (t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read)


def _to_tokens(t: tuple[int, int, int, int, int]) -> Tokens:
    i, o, w5, w1, cr = t
    return Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr)


def _same(v: Any) -> Any:
    return v


# How each field type (as annotated) is stored and rebuilt; a field of another type makes the
# class uncacheable (a TypeError on saving), so a new field can never be dropped silently.
_CODECS: dict[str, tuple[Any, Any]] = {
    "str": (_same, _same),
    "int": (_same, _same),
    "bool": (_same, _same),
    "date": (date.toordinal, date.fromordinal),
    "datetime": (_us, lambda us: EPOCH + timedelta(microseconds=us)),
    "Tokens": (_tokens, _to_tokens),
}


class _Codec:
    """A dataclass as a tuple of its fields."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        fields = dataclasses.fields(cls)
        self.names = tuple(f.name for f in fields)
        codecs = [_CODECS.get(str(f.type)) for f in fields]
        self.ok = all(c is not None for c in codecs)
        self.get = operator.attrgetter(*self.names)
        # the fields stored other than as they are: (position, encoder, decoder)
        self.special = [(i, c[0], c[1]) for i, c in enumerate(codecs) if c and c[0] is not _same]
        self.shape = (cls.__name__, tuple(str(f.type) for f in fields), self.names)

    def encode(self, obj: Any) -> tuple[Any, ...]:
        if not self.ok:
            raise TypeError(f"{self.cls.__name__} has a field of a kind not cached")
        values = list(self.get(obj))
        for i, encode, _ in self.special:
            values[i] = encode(values[i])
        return tuple(values)

    def decode(self, data: tuple[Any, ...]) -> Any:
        values = list(data)
        for i, _, decode in self.special:
            values[i] = decode(values[i])
        return self.cls(**dict(zip(self.names, values, strict=True)))


_ROWS = _Codec(LedgerRow)
_SHAPE = (_ROWS.shape, reccolumns.SHAPE, DERIVED_SHAPE)


def _stored(row: LedgerRow, stored: dict[int, tuple[LedgerRow, tuple[Any, ...]]]) -> Any:
    found = stored.get(id(row))
    return found[1] if found is not None and found[0] is row else _row_data(row)


def _row_data(row: LedgerRow) -> tuple[Any, ...]:
    return _ROWS.encode(row)


def _row(d: tuple[Any, ...]) -> LedgerRow:
    row: LedgerRow = _ROWS.decode(d)
    return row
