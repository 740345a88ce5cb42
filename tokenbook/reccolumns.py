"""Ledger records (`records.Rec`) as columns, for the ledger cache: a table of the contexts, the
ids as one string, every number as an array. Reading a year of them back is a few copies, and
a reader that wants only the ids, or only the recent records, makes nothing else.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Iterator
from datetime import UTC
from datetime import timedelta
from typing import Any

from tokenbook.events import Tokens
from tokenbook.records import EPOCH
from tokenbook.records import MESSAGE_DIGITS
from tokenbook.records import Context
from tokenbook.records import Rec

Records = dict[str, tuple[str, Rec]]  # record id → (ledger, record)
Row = tuple[str, int, tuple[Any, ...], int, int, int, int, int, int, int]
ID_DIGITS = 24
REC_FIELDS = ("id", "ctx", "at", "tokens", "web_search", "web_fetch", "copy")
CONTEXT_FIELDS = tuple(f.name for f in dataclasses.fields(Context))
# The shape these columns have: a record or context of another shape is not cached.
SHAPE = (tuple(f.name for f in dataclasses.fields(Rec)), CONTEXT_FIELDS)
NUMBERS = ("at", "input", "output", "cache_write_5m", "cache_write_1h", "cache_read", "ws", "wf")
_US = timedelta(microseconds=1)


def encode(records: Records) -> tuple[Any, ...]:
    """The columns of `records`, in their order; TypeError when one cannot be kept exactly."""
    if SHAPE[0] != REC_FIELDS:
        raise TypeError("records of another shape")
    ledgers: dict[str, int] = {}
    contexts: dict[Context, int] = {}
    ids, where, kinds, copies = [], array("I"), array("I"), bytearray()
    numbers = {name: array("q") for name in NUMBERS}
    at, i5, o5, w5, w1, cr, ws, wf = (numbers[n].append for n in NUMBERS)
    for rid, (ledger, r) in records.items():
        if len(rid) != ID_DIGITS or r.at.tzinfo is not UTC:
            raise TypeError("a record id or time of another kind")
        ids.append(rid)
        where.append(ledgers.setdefault(ledger, len(ledgers)))
        kinds.append(contexts.setdefault(r.ctx, len(contexts)))
        t = r.tokens
        at((r.at - EPOCH) // _US)
        i5(t.input)
        o5(t.output)
        w5(t.cache_write_5m)
        w1(t.cache_write_1h)
        cr(t.cache_read)
        ws(r.web_search)
        wf(r.web_fetch)
        copies.append(r.copy)
    text = "".join(ids)
    if not text.isascii():
        raise TypeError("a record id of another kind")
    table = [tuple(getattr(c, n) for n in CONTEXT_FIELDS) for c in contexts]
    if any(type(v) not in (str, bool) for row in table for v in row):
        raise TypeError("a context field of another kind")
    arrays = [where.tobytes(), kinds.tobytes(), *(numbers[n].tobytes() for n in NUMBERS)]
    return (list(ledgers), table, text, *arrays, bytes(copies))


class Columns:
    """Encoded records, read back on demand."""

    def __init__(self, data: tuple[Any, ...]) -> None:
        ledgers, table, ids, where, kinds, *numbers, copies = data
        self.ledgers: list[str] = list(ledgers)
        self.table: list[tuple[Any, ...]] = list(table)
        self.ids: str = ids
        self.where, self.kinds = _array("I", where), _array("I", kinds)
        self.numbers = {n: _array("q", b) for n, b in zip(NUMBERS, numbers, strict=True)}
        self.copies: bytes = bytes(copies)
        n = len(ids) // ID_DIGITS
        sizes = [len(self.where), len(self.kinds), *map(len, self.numbers.values()), len(copies)]
        if len(ids) % ID_DIGITS or any(size != n for size in sizes):
            raise ValueError("columns of different lengths")
        if any(k >= len(self.table) for k in set(self.kinds)) or any(
            w >= len(self.ledgers) for w in set(self.where)
        ):
            raise ValueError("a record names no context or ledger")
        if any(len(row) != len(CONTEXT_FIELDS) for row in self.table):
            raise ValueError("a context of another shape")
        self._contexts: list[Context | None] = [None] * len(self.table)
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.copies)

    def data(self) -> tuple[Any, ...]:
        """The columns as `encode` gives them (for the cache)."""
        arrays = [self.where, self.kinds, *(self.numbers[n] for n in NUMBERS)]
        return (self.ledgers, self.table, self.ids, *(a.tobytes() for a in arrays), self.copies)

    def context(self, kind: int) -> Context:
        """The context of table row `kind` (made once)."""
        ctx = self._contexts[kind]
        if ctx is None:
            ctx = self._contexts[kind] = Context(
                **dict(zip(CONTEXT_FIELDS, self.table[kind], strict=True))
            )
        return ctx

    def rid(self, i: int) -> str:
        return self.ids[i * ID_DIGITS : (i + 1) * ID_DIGITS]

    def ledger(self, i: int) -> str:
        return self.ledgers[self.where[i]]

    def rec(self, i: int) -> Rec:
        """The record at position `i`."""
        n = self.numbers
        return Rec(
            id=self.rid(i),
            ctx=self.context(self.kinds[i]),
            at=EPOCH + timedelta(microseconds=n["at"][i]),
            tokens=Tokens(
                input=n["input"][i],
                output=n["output"][i],
                cache_write_5m=n["cache_write_5m"][i],
                cache_write_1h=n["cache_write_1h"][i],
                cache_read=n["cache_read"][i],
            ),
            web_search=n["ws"][i],
            web_fetch=n["wf"][i],
            copy=bool(self.copies[i]),
        )

    def index(self) -> dict[str, int]:
        """Record id → position (made once)."""
        if self._index is None:
            ids, step = self.ids, ID_DIGITS
            self._index = {ids[i : i + step]: i // step for i in range(0, len(ids), step)}
        return self._index

    def positions(self, sessions: set[str]) -> list[int]:
        """The positions of the records of `sessions`, in order."""
        at = CONTEXT_FIELDS.index("session")
        hit = [row[at] in sessions for row in self.table]
        return [i for i, kind in enumerate(self.kinds) if hit[kind]]

    def session(self, i: int) -> str:
        return str(self.table[self.kinds[i]][CONTEXT_FIELDS.index("session")])

    def message_sessions(self, messages: set[str]) -> set[str]:
        """The sessions of the records of these messages (`records.message_of`)."""
        ids, step = self.ids, ID_DIGITS
        found = [
            i // step for i in range(0, len(ids), step) if ids[i : i + MESSAGE_DIGITS] in messages
        ]
        return {self.session(i) for i in found}

    def agent_types(self) -> dict[str, str]:
        """Subagent id → type, as the records in order say it (the last one's, when two
        differ): what `{r.ctx.agent_id: r.ctx.agent for r in records if ...}` gives."""
        fields = [CONTEXT_FIELDS.index(f) for f in ("agent_id", "agent", "main")]
        typed = [
            bool(row[fields[0]] and row[fields[1]] and not row[fields[2]]) for row in self.table
        ]
        last = {kind: i for i, kind in enumerate(self.kinds) if typed[kind]}
        out: dict[str, str] = {}
        for kind in sorted(last, key=last.__getitem__):
            out[self.table[kind][fields[0]]] = self.table[kind][fields[1]]
        return out

    def retyped_sessions(self, agents: dict[str, str]) -> set[str]:
        """The sessions of the subagent records a meta file's type would change
        (`sync._type_agents`)."""
        f = {name: CONTEXT_FIELDS.index(name) for name in ("agent_id", "agent", "main", "session")}
        used = set(self.kinds)
        return {
            row[f["session"]]
            for kind, row in enumerate(self.table)
            if kind in used
            and not row[f["main"]]
            and row[f["agent_id"]] in agents
            and agents[row[f["agent_id"]]] > row[f["agent"]]
        }

    def id_sets(self) -> tuple[set[str], set[str]]:
        """Every record's id, and those of the records on a main thread."""
        main = CONTEXT_FIELDS.index("main")
        on_main = [row[main] for row in self.table]
        ids = [self.ids[i : i + ID_DIGITS] for i in range(0, len(self.ids), ID_DIGITS)]
        mains = {rid for rid, kind in zip(ids, self.kinds, strict=True) if on_main[kind]}
        return set(ids), mains

    def rows(self, since: int | None = None) -> Iterator[Row]:
        """Each record as plain values, without making it: (id, µs since the epoch, its
        context's fields in `CONTEXT_FIELDS` order, the five token counts, web searches and
        fetches); those at or after `since` when given."""
        at, n, table = self.numbers["at"], self.numbers, self.table
        columns = (n[k] for k in NUMBERS[1:])
        for i, (i5, o5, w5, w1, cr, ws, wf) in enumerate(zip(*columns, strict=True)):
            if since is None or at[i] >= since:
                rid = self.ids[i * ID_DIGITS : (i + 1) * ID_DIGITS]
                yield rid, at[i], table[self.kinds[i]], i5, o5, w5, w1, cr, ws, wf

    def records(self, since: int | None = None, only: set[str] | None = None) -> Records:
        """The records (those at or after `since`, µs since the epoch, and of the ids `only`,
        when given)."""
        if only is not None and not only:
            return {}
        contexts = [Context(**dict(zip(CONTEXT_FIELDS, row, strict=True))) for row in self.table]
        at, n = self.numbers["at"], self.numbers
        i5, o5, w5, w1, cr = (n[k] for k in NUMBERS[1:6])
        out: Records = {}
        for i in range(len(at)):
            if since is not None and at[i] < since:
                continue
            rid = self.ids[i * ID_DIGITS : (i + 1) * ID_DIGITS]
            if only is not None and rid not in only:
                continue
            rec = Rec(
                id=rid,
                ctx=contexts[self.kinds[i]],
                at=EPOCH + timedelta(microseconds=at[i]),
                tokens=Tokens(
                    input=i5[i],
                    output=o5[i],
                    cache_write_5m=w5[i],
                    cache_write_1h=w1[i],
                    cache_read=cr[i],
                ),
                web_search=n["ws"][i],
                web_fetch=n["wf"][i],
                copy=bool(self.copies[i]),
            )
            out[rid] = (self.ledgers[self.where[i]], rec)
        return out


def _array(code: str, data: bytes) -> array[int]:
    out = array(code)
    out.frombytes(data)
    return out
