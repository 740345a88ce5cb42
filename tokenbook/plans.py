"""Subscription plan windows: where the current window starts and resets, and its usage.

A window with `resets:` repeats every `hours` from its anchor (`monday 09:00`, `09:00` or an ISO
datetime, in the vault's timezone); one without is rolling: the last `hours` hours. Usage comes
from the logs' responses when they are given (exact), else from ledger rows, each spread evenly
over its first..last time (estimated).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tokenbook.events import UsageEvent
from tokenbook.fields import WEEKDAYS
from tokenbook.ledger import LedgerRow
from tokenbook.model import Plan
from tokenbook.model import PlanWindow
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.store import group_events


def anchor_before(resets: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The latest reset moment of `resets` at or before `now` (only its phase matters)."""
    parts = resets.split()
    if ":" in parts[-1] and len(parts[-1]) == 5:
        at = time.fromisoformat(parts[-1])
        local = now.astimezone(tz)
        day = local.date()
        if len(parts) == 2:
            day -= timedelta(days=(day.weekday() - WEEKDAYS.index(parts[0])) % 7)
        anchor = datetime.combine(day, at, tzinfo=tz)
        step = timedelta(days=7 if len(parts) == 2 else 1)
        return anchor - step if anchor > now else anchor
    anchor = datetime.fromisoformat(resets)
    return anchor if anchor.tzinfo else anchor.replace(tzinfo=tz)


def window_bounds(w: PlanWindow, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime | None]:
    """Start of the current window and when it resets (None for a rolling window)."""
    length = timedelta(hours=w.hours)
    if w.resets is None:
        return now - length, None
    anchor = anchor_before(w.resets, now, tz)
    k = math.floor((now - anchor) / length)
    start = anchor + k * length
    return start, start + length


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowUsage:
    plan: Plan
    window: PlanWindow
    start: datetime
    resets_at: datetime | None
    tokens: int
    usd: Decimal
    source: str  # "logs" (measured) or "ledgers" (estimated)

    @property
    def percent(self) -> Decimal | None:
        shares = []
        if self.window.limit_tokens:
            shares.append(Decimal(self.tokens) * 100 / self.window.limit_tokens)
        if self.window.limit_usd:
            shares.append(self.usd * 100 / self.window.limit_usd)
        return max(shares) if shares else None


def _budget(row: LedgerRow, kinds: tuple[str, ...]) -> int:
    return sum(getattr(row.tokens, k) for k in kinds)


def _from_events(
    vault: Vault, events: Iterable[UsageEvent], start: datetime, now: datetime
) -> tuple[int, Decimal]:
    book = PriceBook(vault)
    inside = [e for e in events if start <= e.at <= now]
    rows = [g.row for g in group_events(inside, vault.settings.timezone).values()]
    kinds = vault.settings.budget_kinds
    usd = sum((book.price(r).usd or Decimal(0) for r in rows), Decimal(0))
    return sum(_budget(r, kinds) for r in rows), usd


def _from_rows(
    vault: Vault, rows: Iterable[LedgerRow], start: datetime, now: datetime
) -> tuple[int, Decimal]:
    """Each row's usage spread evenly over its first..last time; the part inside the window."""
    book = PriceBook(vault)
    tokens, usd = Decimal(0), Decimal(0)
    for row in rows:
        if row.last < start or row.first > now:
            continue
        span = (row.last - row.first).total_seconds()
        inside = (min(row.last, now) - max(row.first, start)).total_seconds()
        share = Decimal(1) if span <= 0 else Decimal(str(inside / span))
        tokens += _budget(row, vault.settings.budget_kinds) * share
        usd += (book.price(row).usd or Decimal(0)) * share
    return int(tokens), usd


def plan_usage(
    vault: Vault,
    rows: Iterable[LedgerRow],
    now: datetime,
    events: list[UsageEvent] | None = None,
) -> list[WindowUsage]:
    """Every plan window's current usage; from `events` when given, else from ledger `rows`."""
    tz = ZoneInfo(vault.settings.timezone)
    rows = list(rows)
    out = []
    for plan in vault.plans:
        for w in plan.windows:
            start, resets = window_bounds(w, now, tz)
            if events is not None:
                tokens, usd = _from_events(vault, events, start, now)
            else:
                tokens, usd = _from_rows(vault, rows, start, now)
            out.append(
                WindowUsage(
                    plan=plan,
                    window=w,
                    start=start,
                    resets_at=resets,
                    tokens=tokens,
                    usd=usd,
                    source="logs" if events is not None else "ledgers",
                )
            )
    return out


def local_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()
