"""The responses Claude Code's logs hold (`logview.py`) as columns, not an object each: `status`
sums its plan windows and `report blocks` its blocks straight from them.

A response is a slot: its time (µs since the epoch), its context (an index into `contexts`: the
fields rows are keyed, attributed and priced by, with the agent's label as the logs say it
now), its counts, and an id that orders the responses of one time (the record id; the log key
when every log was read). `slots` lists the slots that are responses that count, in no order.
The ledger cache's columns are read here only (`RecordArrays`), so a change of their layout touches
one place.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import compress
from itertools import repeat
from operator import eq
from operator import floordiv
from operator import not_
from typing import Any
from typing import NamedTuple

from tokenbook.events import UsageEvent
from tokenbook.localdays import LocalDays
from tokenbook.reccolumns import CONTEXT_FIELDS
from tokenbook.reccolumns import ID_DIGITS
from tokenbook.reccolumns import Columns
from tokenbook.records import EPOCH
from tokenbook.records import MESSAGE_DIGITS
from tokenbook.records import Rec

US = timedelta(microseconds=1)
COUNTS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read", "ws", "wf")


class Ctx(NamedTuple):
    """What a response's row is keyed, attributed and priced by, besides its time and size."""

    session: str
    project: str
    branch: str
    model: str
    agent: str  # `main`, the subagent's type, or `subagent` (as `UsageEvent.agent`)
    speed: str
    geo: str


@dataclass(slots=True)
class Responses:
    at: list[int]
    kind: list[int]
    counts: tuple[list[int], ...]  # in `COUNTS` order
    ids: list[str]
    contexts: list[Ctx]
    slots: list[int]

    def add(self, rid: str, at: int, ctx: Ctx, counts: Iterable[int]) -> None:
        """A response after the others (`slots` unchanged)."""
        self.ids.append(rid)
        self.at.append(at)
        self.kind.append(len(self.contexts))
        self.contexts.append(ctx)
        for column, n in zip(self.counts, counts, strict=True):
            column.append(n)

    def since(self, start: int | None) -> None:
        """Keep the responses at or after `start` (µs)."""
        if start is not None:
            at = self.at
            self.slots = [s for s in self.slots if at[s] >= start]


def us(t: Any) -> int:
    return int((t - EPOCH) // US)


def from_events(events: Iterable[UsageEvent]) -> Responses:
    """The responses `claude_code.collect` read (every log read again)."""
    out = Responses([], [], tuple([] for _ in COUNTS), [], [], [])
    for e in events:
        t = e.tokens
        ctx = Ctx(e.session, e.project, e.branch, e.model, e.agent, e.speed, e.geo)
        counts = (t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read)
        out.add(e.key, us(e.at), ctx, (*counts, e.web_search, e.web_fetch))
    out.slots = list(range(len(out.ids)))
    return out


def rec_ctx(r: Rec, agents: dict[str, str]) -> Ctx:
    c = r.ctx
    agent = "main" if c.main else agents.get(c.agent_id, "subagent")
    return Ctx(c.session, c.project, c.branch, c.model, agent, c.speed, c.geo)


def rec_counts(r: Rec) -> tuple[int, ...]:
    t = r.tokens
    counts = (t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read)
    return (*counts, r.web_search, r.web_fetch)


class RecordArrays:
    """The ledger cache's columns as this module and `spans.py` read them: every record's id,
    context and time, whether it is on a main thread; its counts and ledger on demand; numbers
    as lists (faster to index than arrays, and responses can be added to them)."""

    def __init__(self, columns: Columns, agents: dict[str, str]) -> None:
        self.columns = columns
        self.kind = columns.kinds.tolist()
        self.at = columns.numbers["at"].tolist()
        main = CONTEXT_FIELDS.index("main")
        self.main = [bool(row[main]) for row in columns.table]
        self.contexts = [_ctx(row, agents) for row in columns.table]
        self.agents = agents

    @functools.cached_property
    def ids(self) -> list[str]:
        text = self.columns.ids
        return [text[i : i + ID_DIGITS] for i in range(0, len(text), ID_DIGITS)]

    def rid(self, i: int) -> str:
        """One record's id (without making them all)."""
        return self.columns.ids[i * ID_DIGITS : (i + 1) * ID_DIGITS]

    def counts(self) -> tuple[list[int], ...]:
        """Each record's counts, in `COUNTS` order."""
        return tuple(self.columns.numbers[name].tolist() for name in COUNTS)

    def ledgers(self) -> tuple[list[int], list[str]]:
        """Each record's ledger, as an index into the ledger names returned."""
        return self.columns.where.tolist(), list(self.columns.ledgers)


_LAST: list[RecordArrays] = []  # the arrays made last (`status` reads them twice)


def arrays(columns: Columns, agents: dict[str, str] | None = None) -> RecordArrays:
    """The columns' arrays, with subagent types from `agents`; None: any (the arrays made last
    from these very columns, whatever types they know)."""
    last = _LAST[0] if _LAST else None
    if last is not None and last.columns is columns and agents in (None, last.agents):
        return last
    _LAST[:] = [RecordArrays(columns, agents or {})]
    return _LAST[0]


_FIELDS = tuple(
    CONTEXT_FIELDS.index(name)
    for name in ("session", "project", "branch", "model", "agent_id", "speed", "geo", "main")
)


def _ctx(row: Sequence[Any], agents: dict[str, str]) -> Ctx:
    session, project, branch, model, agent_id, speed, geo, main = (row[i] for i in _FIELDS)
    agent = "main" if main else agents.get(agent_id, "subagent")
    return Ctx(session, project, branch, model, agent, speed, geo)


def from_arrays(
    a: RecordArrays,
    held: set[str],
    tail: dict[str, Rec],
    found: dict[str, Rec],
) -> Responses:
    """The responses as `logview.log_events` makes them: the records the logs hold (`held`)
    from the cache's columns, except those of the unsynced bytes (`tail`), whose records as
    joined with the ledgers' (`found`) follow; a sidechain response counts only when no
    main-thread response the logs hold answered its message."""
    ids, kind = a.ids, a.kind
    on_main = list(compress(ids, map(a.main.__getitem__, kind)))
    main = {rid[:MESSAGE_DIGITS] for rid in held.intersection(on_main)}
    main |= {rid[:MESSAGE_DIGITS] for rid, r in tail.items() if r.ctx.main}
    side = [not m for m in a.main]
    drop = set(ids).difference(held)
    drop.update(tail)
    replays = compress(ids, map(side.__getitem__, kind))
    drop.update(rid for rid in replays if rid[:MESSAGE_DIGITS] in main)
    out = Responses(a.at, kind, a.counts(), ids, a.contexts, list(range(len(ids))))
    if drop:
        out.slots = list(compress(out.slots, map(not_, map(drop.__contains__, ids))))
    if found:  # the arrays stay as the columns are: responses are added to copies
        out.at, out.kind, out.ids, out.contexts = [*a.at], [*kind], [*ids], [*a.contexts]
    for rid, r in found.items():
        if r.ctx.main or rid[:MESSAGE_DIGITS] not in main:
            out.slots.append(len(out.ids))
            out.add(rid, us(r.at), rec_ctx(r, a.agents), rec_counts(r))
    return out


HOUR = 3_600_000_000  # µs


def local_days(times: Sequence[int], timezone: str) -> tuple[list[int], list[str]]:
    """The local day of each time (µs) as an index into the days (`YYYY-MM-DD`) returned,
    looked up once per UTC hour where the hour is all one local day (`localdays.py`)."""
    days = LocalDays(timezone)
    hours = list(map(floordiv, times, repeat(HOUR)))
    texts = {h: days.hour_text(h) for h in set(hours)}
    number: dict[str | None, int] = {}
    table = {h: number.setdefault(text, len(number)) for h, text in texts.items()}
    out = list(map(table.__getitem__, hours))
    unclean = number.get(None)
    if unclean is not None:  # times in an hour that is not all one day: one by one
        for i in compress(range(len(out)), map(eq, out, repeat(unclean))):
            out[i] = number.setdefault(days.text(EPOCH + times[i] * US), len(number))
    names = [""] * len(number)
    for text, n in number.items():
        names[n] = text or ""
    return out, names
