"""What Claude Code's logs hold now, for `status` (plan windows) and `report blocks`: every
response a log still holds, as `claude_code.collect` would read it, but taken from the ledgers'
records for the bytes the last sync read (`held.py`) and from the logs only after that.

When the ledgers changed behind the sync cache (a checkout, a merge, an edit), the records may
not be what the logs say: the logs are read whole, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from tokenbook.cache import SyncCache
from tokenbook.cache import Update
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.held import Held
from tokenbook.held import held_ids
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import arrays
from tokenbook.logcolumns import from_arrays
from tokenbook.logcolumns import from_events
from tokenbook.reccolumns import CONTEXT_FIELDS
from tokenbook.reccolumns import Columns
from tokenbook.reccolumns import Records
from tokenbook.records import EPOCH
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.records import message_of
from tokenbook.sources import claude_code
from tokenbook.sources.claude_records import to_rec
from tokenbook.store import LedgerSet
from tokenbook.syncindex import ledger_fingerprint


def log_events(
    root: Path, dirs: Sequence[Path], ledgers: LedgerSet, since: datetime | None = None
) -> list[UsageEvent]:
    """Every response that counts among those the logs under `dirs` hold (at or after `since`,
    when given), in time order, an object each (`log_responses` makes none)."""
    peeked = _peek(root, dirs)
    every, mains = ledgers.record_ids()
    if peeked is None or peeked.lost(every):
        return _read_all(dirs, since)
    update, held, tail = peeked.update, peeked.held, peeked.tail
    main = {message_of(rid) for rid in held & mains}
    main |= {message_of(rid) for rid, r in tail.items() if r.ctx.main}
    columns = ledgers.columns()
    start = _us(since)
    if columns is not None:  # the held records straight from the cache's columns
        events = _from_columns(columns, held - tail.keys(), start, update.agents, main)
        recent, others = columns.records(start, only=set(tail)), set()
    else:
        events = []
        recent = ledgers.records if since is None else ledgers.records_since(since)
        others = held & recent.keys()
    found = _found(others | tail.keys(), recent, tail, every)
    events += _events(found, update.agents, main)
    events.sort(key=lambda e: (e.at, e.key))
    return [e for e in events if since is None or e.at >= since]


def log_responses(
    root: Path, dirs: Sequence[Path], ledgers: LedgerSet, since: datetime | None = None
) -> Responses:
    """The responses `log_events` gives, as columns (`logcolumns.py`); from the ledger cache's
    columns when the records are not made yet."""
    columns = ledgers.columns()
    if columns is None:
        return from_events(log_events(root, dirs, ledgers, since))
    peeked = _peek(root, dirs)
    if peeked is None:
        return from_events(_read_all(dirs, since))
    update, held, tail = peeked.update, peeked.held, peeked.tail
    found_arrays = arrays(columns, update.agents)
    every = set(found_arrays.ids)
    if peeked.lost(every):
        return from_events(_read_all(dirs, since))
    start = _us(since)
    found = _found(tail.keys(), columns.records(start, only=set(tail)), tail, every)
    out = from_arrays(found_arrays, held, tail, found)
    out.since(start)
    return out


@dataclass(slots=True)
class _Peek:
    """What the logs hold now: the new bytes read (`update`), the ids of every record the logs
    hold (`held`), the records of the bytes the last sync did not read (`tail`), and what the
    files held before this read (`before`: the ids as the last sync left them)."""

    update: Update
    held: set[str]
    tail: dict[str, Rec]
    before: Held

    def lost(self, every: set[str]) -> bool:
        """Whether a log holds, in the bytes the last sync read, a record the ledgers do not
        (they lost it): then the logs are read whole. A record only the unsynced bytes hold
        is new, not lost."""
        unknown = self.held - every
        return bool(unknown) and not unknown.isdisjoint(held_ids(self.before, self.update.paths))


def _peek(root: Path, dirs: Sequence[Path]) -> _Peek | None:
    """What the logs hold now, reading only the bytes the last sync did not (as `cache.peek`,
    with the held ids split at once); None when the ledgers changed behind the sync cache
    (the logs must be read whole)."""
    cache = SyncCache.load(root)
    if not cache.index.files or cache.index.ledgers != ledger_fingerprint(root):
        return None
    before = dict(cache.held)
    update = cache.read(dirs)
    held = held_ids(cache.held, update.paths)
    tail = {update.ids[k]: to_rec(k, r, update.agents) for k, r in update.records.items()}
    return _Peek(update, held, tail, before)


def _found(
    ids: Iterable[str], recent: Records, tail: dict[str, Rec], every: set[str]
) -> dict[str, Rec]:
    """The records of `ids` as the logs hold them now: the ledgers' (`recent`) joined with the
    unsynced bytes' (`tail`)."""
    found: dict[str, Rec] = {}
    for rid in ids:
        known, new = recent.get(rid), tail.get(rid)
        if known is not None:
            found[rid] = known[1] if new is None else join(known[1], new)
        elif new is not None and rid not in every:  # a response no sync has read yet
            found[rid] = new
        # else: its record is from before `since`, and so is its joined time
    return found


def _us(since: datetime | None) -> int | None:
    return None if since is None else (since - EPOCH) // timedelta(microseconds=1)


def _from_columns(
    columns: Columns,
    held: set[str],
    start: int | None,
    agents: dict[str, str],
    main: set[str],
) -> list[UsageEvent]:
    """`_events` of the held records (at or after `start`, µs), made from the columns without
    making the records."""
    out = []
    for rid, at, c, i, o, w5, w1, cr, ws, wf in columns.rows(start):
        if rid not in held or (not c[_MAIN] and message_of(rid) in main):
            continue
        tokens = Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr)
        out.append(
            UsageEvent(
                key=rid,
                session=c[_SESSION],
                at=EPOCH + timedelta(microseconds=at),
                model=c[_MODEL],
                tokens=tokens,
                project=c[_PROJECT],
                branch=c[_BRANCH],
                agent="main" if c[_MAIN] else agents.get(c[_AGENT_ID], "subagent"),
                speed=c[_SPEED],
                geo=c[_GEO],
                web_search=ws,
                web_fetch=wf,
            )
        )
    return out


_SESSION, _PROJECT, _BRANCH, _AGENT_ID, _MODEL, _SPEED, _GEO, _MAIN = (
    CONTEXT_FIELDS.index(name)
    for name in ("session", "project", "branch", "agent_id", "model", "speed", "geo", "main")
)


def _read_all(dirs: Sequence[Path], since: datetime | None) -> list[UsageEvent]:
    events = claude_code.collect(dirs).events
    return [e for e in events if since is None or e.at >= since]


def _events(found: dict[str, Rec], agents: dict[str, str], main: set[str]) -> list[UsageEvent]:
    """As `claude_code.Deduper.events`: on the main thread, or a sidechain response whose
    message was not also answered there (`main`: those messages); a subagent's type from the
    meta files there now."""
    out = []
    for rid, r in found.items():
        c = r.ctx
        if not c.main and message_of(rid) in main:
            continue
        out.append(
            UsageEvent(
                key=rid,
                session=c.session,
                at=r.at,
                model=c.model,
                tokens=r.tokens,
                project=c.project,
                branch=c.branch,
                agent="main" if c.main else agents.get(c.agent_id, "subagent"),
                speed=c.speed,
                geo=c.geo,
                web_search=r.web_search,
                web_fetch=r.web_fetch,
            )
        )
    return out
