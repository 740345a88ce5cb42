"""The slow paths of `report blocks` and `status`, as they were before the columns: an object
per response (`UsageEvent`), keyed into entries, cut into blocks and priced row by row
(`blockcut.py`, `blocks.py`); plan windows grouped with `group_events` (`plans.py`). Tests
compare the fast paths with them, byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tokenbook.attribution import Attributor
from tokenbook.blocks import LENGTH
from tokenbook.blocks import Block
from tokenbook.blocks import BlocksReport
from tokenbook.blocks import Cut
from tokenbook.blocks import burn_rate
from tokenbook.blocks import floor_hour
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import LocalDays
from tokenbook.logcolumns import Responses
from tokenbook.model import ModelPrice
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.plans import _priced
from tokenbook.pricing import PriceBook
from tokenbook.records import EPOCH
from tokenbook.reports import Bucket
from tokenbook.reports import Filter
from tokenbook.reports import utc_text
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.store import group_events
from tokenbook.tally import band_of
from tokenbook.tally import history_key
from tokenbook.whatif import Repriced
from tokenbook.whatif import Term
from tokenbook.whatif import _terms


class Entry(NamedTuple):
    """Usage at one time, in one ledger: a ledger row the logs no longer cover (`row`,
    estimated), or one response from the logs (`event`; a tuple, as there are many) with its
    ledger key and the project and branch of that key's first response."""

    at: datetime
    until: datetime
    ledger: str
    row: LedgerRow | None = None
    event: UsageEvent | None = None
    key: Key | None = None
    project: str = ""
    branch: str = ""


@dataclass(slots=True)
class _Part:
    """The responses of one ledger key inside one block, summed before they are priced."""

    key: Key
    project: str
    branch: str
    first: datetime
    last: datetime
    responses: int = 0
    tokens: list[int] = field(default_factory=lambda: [0] * 7)

    def add(self, e: UsageEvent) -> None:
        t, sums = e.tokens, self.tokens
        for i, n in enumerate(
            (t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read)
        ):
            sums[i] += n
        sums[5] += e.web_search
        sums[6] += e.web_fetch
        self.responses += 1
        self.first, self.last = min(self.first, e.at), max(self.last, e.at)

    def row(self) -> LedgerRow:
        day, session, model, agent, speed, geo, band = self.key
        n = self.tokens
        return LedgerRow(
            date=date.fromisoformat(day),
            session=session,
            model=model,
            agent=agent,
            speed=speed,
            geo=geo,
            prompt_over=band,
            responses=self.responses,
            tokens=Tokens(
                input=n[0], output=n[1], cache_write_5m=n[2], cache_write_1h=n[3], cache_read=n[4]
            ),
            web_search=n[5],
            web_fetch=n[6],
            first=self.first,
            last=self.last,
            project=self.project,
            branch=self.branch,
        )


def entries(
    ledgers: LedgerSet, events: Iterable[UsageEvent], attributor: Attributor
) -> list[Entry]:
    """Every response the logs still hold, and the ledger rows they no longer cover.

    A ledger row is covered when the logs hold at least as many responses of its key; usage the
    logs hold but no ledger has yet (not synced) goes to the bet sync would give it. A key's
    project and branch are those of its first response, as in the ledgers."""
    days = LocalDays(ledgers.timezone)
    keyed: list[tuple[Key, UsageEvent]] = []
    count: dict[Key, int] = {}
    earliest: dict[Key, UsageEvent] = {}
    for e in events:
        day = days.text(e.at)
        # Compared without the subagent's type: the ledgers may know it from a spawning call
        # the log events here do not read.
        key = history_key(
            (day, e.session, e.model, e.agent, e.speed, e.geo, band_of(e.tokens.prompt))
        )
        keyed.append((key, e))
        count[key] = count.get(key, 0) + 1
        first = earliest.get(key)
        if first is None or (e.at, e.key) < (first.at, first.key):
            earliest[key] = e
    ledger_of: dict[Key, str] = {}
    held: dict[Key, tuple[int, str]] = {}  # responses the ledgers hold per key, and where
    for (name, key), placed in sorted(ledgers.rows.items()):
        n, where = held.get(history_key(key), (0, name))
        held[history_key(key)] = (n + placed.row.responses, where)
    for key, n in count.items():
        known = held.get(key)
        if known is None:
            f = earliest[key]
            on = date.fromisoformat(key[0])
            ledger_of[key] = attributor.bet_for(f.session, on, f.project, f.branch)
        elif n >= known[0]:
            ledger_of[key] = known[1]
    out = [
        Entry(p.row.first, p.row.last, p.ledger, row=p.row)
        for (_, key), p in ledgers.rows.items()
        if history_key(key) not in ledger_of
    ]
    for key, e in keyed:
        ledger = ledger_of.get(key)
        if ledger is not None:
            f = earliest[key]
            out.append(
                Entry(e.at, e.at, ledger, event=e, key=key, project=f.project, branch=f.branch)
            )
    return out


def _cut(items: Iterable[Entry]) -> list[tuple[datetime, list[tuple[str, LedgerRow, bool]]]]:
    """Blocks in time order, each with its usage as rows: estimated ledger rows as they are,
    responses summed per ledger key (cost is linear in tokens, so each sum is priced once)."""
    cut: list[tuple[datetime, list[tuple[str, LedgerRow, bool]]]] = []
    end: datetime | None = None
    parts: dict[tuple[str, Key], _Part] = {}
    rows: list[tuple[str, LedgerRow, bool]] = []

    def close() -> None:
        rows.extend((ledger, part.row(), True) for (ledger, _), part in parts.items())

    for entry in sorted(items, key=lambda x: (x.at, x.until)):
        if end is None or entry.at >= end:
            if end is not None:
                close()
            start = floor_hour(entry.at)
            end = start + LENGTH
            parts, rows = {}, []
            cut.append((start, rows))
        if entry.row is not None:
            rows.append((entry.ledger, entry.row, False))
        elif entry.event is not None and entry.key is not None:
            part = parts.get((entry.ledger, entry.key))
            if part is None:
                part = _Part(entry.key, entry.project, entry.branch, entry.at, entry.at)
                parts[(entry.ledger, entry.key)] = part
            part.add(entry.event)
    if end is not None:
        close()
    return cut


def build_blocks(
    cut: list[tuple[datetime, list[tuple[str, LedgerRow, bool]]]],
    book: PriceBook,
    keep: Filter,
    now: datetime,
    timezone: str,
) -> BlocksReport:
    """Cut the usage into blocks (over all usage: billing is per account), then keep what the
    filter keeps: `--bet`/`--project` per row, `--since`/`--until` on the block's local start."""
    tz = ZoneInfo(timezone)
    per_row = replace(keep, since=None, until=None)
    kept: list[Block] = []
    totals = Bucket("total")
    logs_since: datetime | None = None
    estimated = 0
    for start, rows in cut:
        start_day = start.astimezone(tz).date()
        if (keep.since and start_day < keep.since) or (keep.until and start_day > keep.until):
            continue
        block: Block | None = None
        for ledger, row, from_logs in rows:
            placed = Placed(ledger, row)
            if not per_row.keeps(placed):
                continue
            if block is None:
                block = Block(start, Bucket(utc_text(start)), row.first, row.last)
                kept.append(block)
            priced = book.price(row)
            block.bucket.add_priced(placed, priced)
            totals.add_priced(placed, priced)
            block.first, block.last = min(block.first, row.first), max(block.last, row.last)
            if from_logs:
                block.from_logs = True
                logs_since = row.first if logs_since is None else min(logs_since, row.first)
            else:
                block.from_ledgers = True
                estimated += 1
    active = next((b for b in kept if b.contains(now)), None)
    burn = burn_rate(active, now) if active else None
    return BlocksReport(tuple(kept), totals, now, timezone, active, burn, logs_since, estimated)


def events_of(r: Responses) -> list[UsageEvent]:
    """The responses as objects, in time order (ties by id, as `logview.log_events`)."""
    out = []
    for s in r.slots:
        c = r.contexts[r.kind[s]]
        i, o, w5, w1, cr, ws, wf = (column[s] for column in r.counts)
        tokens = Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr)
        out.append(
            UsageEvent(
                key=r.ids[s],
                session=c.session,
                at=EPOCH + timedelta(microseconds=r.at[s]),
                model=c.model,
                tokens=tokens,
                project=c.project,
                branch=c.branch,
                agent=c.agent,
                speed=c.speed,
                geo=c.geo,
                web_search=ws,
                web_fetch=wf,
            )
        )
    out.sort(key=lambda e: (e.at, e.key))
    return out


def cut_of(r: Responses, ledgers: LedgerSet, attributor: Attributor) -> Cut:
    """`blockcut.cut` the slow way."""
    return _cut(entries(ledgers, events_of(r), attributor))


def canonical(cut: Cut) -> list[tuple[datetime, list[tuple[str, LedgerRow, bool]]]]:
    """A cut with each block's rows in one order (the order is not part of the result)."""
    return [(start, sorted(rows, key=repr)) for start, rows in cut]


def window_usage(vault: Vault, r: Responses, start: datetime, now: datetime) -> tuple[int, Money]:
    """`plans._from_responses` the slow way: the events grouped into rows, priced one by one."""
    inside = [e for e in events_of(r) if start <= e.at <= now]
    rows = [g.row for g in group_events(inside, vault.settings.timezone).values()]
    return _priced(vault, [(row, Decimal(1)) for row in rows])


def reprice(vault: Vault, rows: Iterable[LedgerRow], target: ModelPrice) -> Repriced:
    """`whatif.reprice` row by row."""
    actual = PriceBook(vault)
    other = PriceBook(replace(vault, models=(target,)))
    as_target = target.patterns[0]
    out = Repriced(model=target, terms={k: Term(k) for k in (*TOKEN_COLUMNS, "web_search")})
    for row in rows:
        priced = actual.price(row)
        if priced.usd is None:
            out.actual_unpriced.add(priced.unpriced)
            out.actual_unpriced_models.add(row.model)
            out.actual_unpriced_tokens += row.tokens.total
            continue
        terms, missing = _terms(other, replace(row, model=as_target))
        if missing:
            out.unpriced.add(missing)
            out.unpriced_tokens += row.tokens.total
            continue
        out.rows += 1
        out.actual_usd += priced.usd
        for kind, (n, usd) in terms.items():
            out.terms[kind].tokens += n
            out.terms[kind].usd += usd
    return out
