"""5-hour billing blocks, as Claude Code bills them, with the active block's burn rate.

A block starts at the first response after the previous block ended, floored to the UTC hour, and
lasts 5 hours; a response at or after the block's end starts a new one, so idle gaps simply leave
no block. This is ccusage's `identifySessionBlocks` rule.

Blocks need each response's time: those the logs hold (`logview.py`); a ledger row the logs no
longer cover (Claude Code deletes logs after 30 days) counts whole at its `first` time, active
until its `last` time, and its blocks are marked estimated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tokenbook.attribution import Attributor
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import LocalDays
from tokenbook.pricing import PriceBook
from tokenbook.reports import Bucket
from tokenbook.reports import Filter
from tokenbook.reports import utc_text
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.tally import band_of
from tokenbook.tally import history_key

HOURS = 5
LENGTH = timedelta(hours=HOURS)
MINUTE = Decimal(60)
RATE = Decimal("0.000001")


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


@dataclass(slots=True)
class Block:
    start: datetime
    bucket: Bucket
    first: datetime
    last: datetime
    from_logs: bool = False
    from_ledgers: bool = False

    @property
    def end(self) -> datetime:
        return self.start + LENGTH

    @property
    def source(self) -> str:
        return "+".join(
            s for s, on in (("logs", self.from_logs), ("ledgers", self.from_ledgers)) if on
        )

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class Burn:
    """The active block so far (from its start to `now`) and where that pace ends."""

    minutes: Decimal
    tokens_per_minute: Decimal
    usd_per_hour: Decimal  # of the priced part when some usage has no price
    remaining_minutes: Decimal
    projected_tokens: int
    projected_usd: Decimal


@dataclass(frozen=True, slots=True)
class BlocksReport:
    blocks: tuple[Block, ...]
    totals: Bucket
    now: datetime
    timezone: str
    active: Block | None = None
    burn: Burn | None = None
    logs_since: datetime | None = None  # the earliest response read from the logs
    estimated_rows: int = 0


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


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
    items: Iterable[Entry],
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
    for start, rows in _cut(items):
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


def burn_rate(block: Block, now: datetime) -> Burn | None:
    """Tokens per minute and dollars per hour from the block's start to now, projected to its
    end at the same pace."""
    seconds = Decimal((now - block.start).total_seconds())
    if seconds <= 0:
        return None
    minutes = seconds / MINUTE
    usage = block.bucket.usage
    per_minute = Decimal(usage.tokens.total) / minutes
    usd_per_minute = usage.priced_usd / minutes
    remaining = Decimal((block.end - now).total_seconds()) / MINUTE
    return Burn(
        minutes=minutes,
        tokens_per_minute=per_minute,
        usd_per_hour=usd_per_minute * MINUTE,
        remaining_minutes=remaining,
        projected_tokens=whole(usage.tokens.total + per_minute * remaining),
        projected_usd=usage.priced_usd + usd_per_minute * remaining,
    )
