"""5-hour billing blocks, as Claude Code bills them, with the active block's burn rate.

A block starts at the first response after the previous block ended, floored to the UTC hour, and
lasts 5 hours; a response at or after the block's end starts a new one, so idle gaps simply leave
no block. This is ccusage's `identifySessionBlocks` rule.

Blocks need each response's time. Recent responses come from the logs; a ledger row the logs no
longer cover (Claude Code deletes logs after 30 days) counts as one piece of usage at its `first`
time, active until its `last` time: such blocks are marked estimated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tokenbook.attribution import Attributor
from tokenbook.events import UsageEvent
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import prompt_band
from tokenbook.pricing import PriceBook
from tokenbook.reports import Bucket
from tokenbook.reports import Filter
from tokenbook.reports import bucket_json
from tokenbook.reports import usd_text
from tokenbook.reports import utc_text
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.store import group_events

HOURS = 5
LENGTH = timedelta(hours=HOURS)
MINUTE = Decimal(60)
RATE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Entry:
    """Usage at one time: one response from the logs, or a whole ledger row (estimated)."""

    at: datetime
    until: datetime
    placed: Placed
    from_logs: bool


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

    def json(self, priced: bool) -> dict[str, Any]:
        return {
            "elapsed_minutes": _int(self.minutes),
            "tokens_per_minute": _int(self.tokens_per_minute),
            "usd_per_hour": usd_text(self.usd_per_hour.quantize(RATE)) if priced else None,
            "remaining_minutes": _int(self.remaining_minutes),
            "projected_total_tokens": self.projected_tokens,
            "projected_cost_usd": usd_text(self.projected_usd.quantize(RATE)) if priced else None,
        }


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


def _int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _event_row(e: UsageEvent, day: date, project: str, branch: str) -> LedgerRow:
    return LedgerRow(
        date=day,
        session=e.session,
        model=e.model,
        agent=e.agent,
        speed=e.speed,
        geo=e.geo,
        prompt_over=prompt_band(e.tokens.prompt),
        responses=1,
        tokens=e.tokens,
        web_search=e.web_search,
        web_fetch=e.web_fetch,
        first=e.at,
        last=e.at,
        project=project,
        branch=branch,
    )


def entries(
    ledgers: LedgerSet, events: Iterable[UsageEvent], attributor: Attributor
) -> list[Entry]:
    """Every response the logs still hold, and the ledger rows they no longer cover.

    A ledger row is covered when the logs hold at least as many responses of its key; usage the
    logs hold but no ledger has yet (not synced) goes to the bet sync would give it."""
    events = list(events)
    tz = ZoneInfo(ledgers.timezone)
    groups = group_events(events, ledgers.timezone)
    ledger_of: dict[Key, str] = {}
    for key, group in groups.items():
        known = ledgers.rows.get(key)
        row = group.row
        if known is None:
            ledger_of[key] = attributor.bet_for(row.session, row.date, row.project, row.branch)
        elif row.responses >= known.row.responses:
            ledger_of[key] = known.ledger
    out = [
        Entry(p.row.first, p.row.last, p, from_logs=False)
        for key, p in ledgers.rows.items()
        if key not in ledger_of
    ]
    for e in events:
        day = e.at.astimezone(tz).date()
        group_row = groups[_key(e, day)].row
        row = _event_row(e, day, group_row.project, group_row.branch)
        ledger = ledger_of.get(row.key)
        if ledger is not None:
            out.append(Entry(e.at, e.at, Placed(ledger, row), from_logs=True))
    return out


def _key(e: UsageEvent, day: date) -> Key:
    band = prompt_band(e.tokens.prompt)
    return (day.isoformat(), e.session, e.model, e.agent, e.speed, e.geo, band)


def build_blocks(
    items: Iterable[Entry],
    book: PriceBook,
    keep: Filter,
    now: datetime,
    timezone: str,
) -> BlocksReport:
    """Cut the usage into blocks (over all usage: billing is per account), then keep what the
    filter keeps: `--bet`/`--project` per entry, `--since`/`--until` on the block's local start."""
    tz = ZoneInfo(timezone)
    per_entry = replace(keep, since=None, until=None)
    blocks: list[Block] = []
    totals = Bucket("total")
    current: Block | None = None
    logs_since: datetime | None = None
    estimated = 0
    for entry in sorted(items, key=lambda x: (x.at, x.until)):
        if current is None or entry.at >= current.end:
            start = floor_hour(entry.at)
            current = Block(start, Bucket(utc_text(start)), entry.at, entry.until)
            blocks.append(current)
        if not per_entry.keeps(entry.placed):
            continue
        start_day = current.start.astimezone(tz).date()
        if (keep.since and start_day < keep.since) or (keep.until and start_day > keep.until):
            continue
        priced = book.price(entry.placed.row)
        if current.bucket.usage.responses == 0:
            current.first, current.last = entry.at, entry.until
        current.bucket.add_priced(entry.placed, priced)
        totals.add_priced(entry.placed, priced)
        current.last = max(current.last, entry.until)
        if entry.from_logs:
            current.from_logs = True
            logs_since = entry.at if logs_since is None else min(logs_since, entry.at)
        else:
            current.from_ledgers = True
            estimated += 1
    kept = tuple(b for b in blocks if b.bucket.usage.responses)
    active = next((b for b in kept if b.contains(now)), None)
    burn = burn_rate(active, now) if active else None
    return BlocksReport(kept, totals, now, timezone, active, burn, logs_since, estimated)


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
        projected_tokens=_int(usage.tokens.total + per_minute * remaining),
        projected_usd=usage.priced_usd + usd_per_minute * remaining,
    )


def blocks_json(report: BlocksReport) -> dict[str, Any]:
    rows = []
    for b in report.blocks:
        row: dict[str, Any] = {
            "block": utc_text(b.start),
            "start": utc_text(b.start),
            "end": utc_text(b.end),
            "first": utc_text(b.first),
            "last": utc_text(b.last),
            "active": b is report.active,
            "source": b.source,
        }
        row |= bucket_json(b.bucket)
        if b is report.active:
            priced = not b.bucket.usage.unpriced
            row["burn_rate"] = report.burn.json(priced) if report.burn else None
        rows.append(row)
    return {
        "now": utc_text(report.now),
        "rows": rows,
        "totals": bucket_json(report.totals),
    }
