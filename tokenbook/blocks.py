"""5-hour billing blocks, as Claude Code bills them, with the active block's burn rate.

A block starts at the first response after the previous block ended, floored to the UTC hour, and
lasts 5 hours; a response at or after the block's end starts a new one, so idle gaps simply leave
no block. This is ccusage's `identifySessionBlocks` rule.

Blocks need each response's time: those the logs hold (`logview.py`); a ledger row the logs no
longer cover (Claude Code deletes logs after 30 days) counts whole at its `first` time, active
until its `last` time, and its blocks are marked estimated. `blockcut.py` cuts the usage into
blocks; this module prices them, keeps what the filters keep and finds the active block."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from zoneinfo import ZoneInfo

from tokenbook.ledger import LedgerRow
from tokenbook.pricing import PriceBook
from tokenbook.reports import Bucket
from tokenbook.reports import Filter
from tokenbook.reports import Usage
from tokenbook.reports import utc_text
from tokenbook.rowsums import by_price
from tokenbook.rowsums import summed
from tokenbook.store import Placed

HOURS = 5
LENGTH = timedelta(hours=HOURS)
Rows = list[tuple[str, LedgerRow, bool]]  # (ledger, row, from the logs) in one block
Cut = list[tuple[datetime, Rows]]  # blocks in time order: start, usage (`blockcut.cut`)
MINUTE = Decimal(60)
RATE = Decimal("0.000001")


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


def build_blocks(
    cut: Cut,
    book: PriceBook,
    keep: Filter,
    now: datetime,
    timezone: str,
) -> BlocksReport:
    """Keep what the filter keeps of the blocks (cut over all usage: billing is per account):
    `--bet`/`--project` per row, `--since`/`--until` on the block's local start."""
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
        found = [(Placed(ledger, row), logs) for ledger, row, logs in rows]
        found = [(p, logs) for p, logs in found if per_row.keeps(p)]
        if not found:
            continue
        block = _block(start, found, book, totals)
        kept.append(block)
        logged = [p.row.first for p, logs in found if logs]
        if logged:
            logs_since = min(logged) if logs_since is None else min(logs_since, *logged)
        estimated += len(found) - len(logged)
    totals.merge_models()
    active = next((b for b in kept if b.contains(now)), None)
    burn = burn_rate(active, now) if active else None
    return BlocksReport(tuple(kept), totals, now, timezone, active, burn, logs_since, estimated)


def _block(
    start: datetime, found: list[tuple[Placed, bool]], book: PriceBook, totals: Bucket
) -> Block:
    """One block's usage: rows that prices cannot tell apart are summed and priced once into
    its per-model totals (as `reports.build_report` does), which the totals add up."""
    first = found[0][0].row
    block = Block(start, Bucket(utc_text(start)), first.first, first.last)
    for placed, logs in found:
        row = placed.row
        block.bucket.note(placed)
        totals.note(placed)
        block.first, block.last = min(block.first, row.first), max(block.last, row.last)
        block.from_logs |= logs
        block.from_ledgers |= not logs
    models = block.bucket.models
    for rows in by_price(p.row for p, _ in found).values():
        row = summed(rows)
        usage = models.get(row.model)
        if usage is None:
            usage = models[row.model] = Usage()
        usage.add_priced(row, book.price(row))
        usage.sessions.update(r.session for r in rows)
    block.bucket.merge_models()
    for model, usage in models.items():
        totals.models.setdefault(model, Usage()).merge(usage)
    return block


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
