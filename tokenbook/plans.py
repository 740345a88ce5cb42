"""Subscription plan windows: where the current window starts and resets, and its usage.

A window with `resets:` repeats every `hours` from its anchor (`monday 09:00`, `09:00` or an ISO
datetime, in the vault's timezone); one without is rolling: the last `hours` hours. Usage comes
from the logs' responses when they are given (exact; as columns, `logcolumns.py`), else from
ledger rows, each spread evenly over its first..last time (estimated).
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

from tokenbook.colsums import key_rows
from tokenbook.fields import WEEKDAYS
from tokenbook.ledger import LedgerRow
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import us
from tokenbook.model import Plan
from tokenbook.model import PlanWindow
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.money import unpriced
from tokenbook.pricing import book_for
from tokenbook.rowsums import by_price
from tokenbook.rowsums import summed


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
    usd: Decimal  # the priced part
    source: str  # "logs" (measured) or "ledgers" (estimated)
    unpriced_tokens: int = 0  # usage in the window with no price: never $0
    unpriced_models: frozenset[str] = frozenset()

    @property
    def unpriced(self) -> bool:
        return bool(self.unpriced_models)

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


def _from_responses(
    vault: Vault, r: Responses, start: datetime, now: datetime
) -> tuple[int, Money]:
    """The responses in the window as ledger rows; rows that prices cannot tell apart are
    summed and priced once."""
    lo, hi, at = us(start), us(now), r.at
    inside = [s for s in r.slots if lo <= at[s] <= hi]
    rows = key_rows(r, inside, vault.settings.timezone).values()
    return _priced(vault, [(summed(same), Decimal(1)) for same in by_price(rows).values()])


def _from_rows(
    vault: Vault, rows: Iterable[LedgerRow], start: datetime, now: datetime
) -> tuple[int, Money]:
    """Each row's usage spread evenly over its first..last time; the part inside the window."""
    parts = []
    for row in rows:
        if row.last < start or row.first > now:
            continue
        span = (row.last - row.first).total_seconds()
        inside = (min(row.last, now) - max(row.first, start)).total_seconds()
        parts.append((row, Decimal(1) if span <= 0 else Decimal(str(inside / span))))
    return _priced(vault, parts)


def _priced(vault: Vault, parts: list[tuple[LedgerRow, Decimal]]) -> tuple[int, Money]:
    """Budget tokens and money of each row's `share`; a row with no price adds its tokens to
    the unpriced part, never $0."""
    book = book_for(vault)
    tokens, money = Decimal(0), Money()
    for row, share in parts:
        tokens += _budget(row, vault.settings.budget_kinds) * share
        usd = book.price(row).usd
        if usd is None:
            money += unpriced(int(row.tokens.total * share), row.model)
        else:
            money += Money(usd=usd * share)
    return int(tokens), money


def plan_usage(
    vault: Vault,
    rows: Iterable[LedgerRow],
    now: datetime,
    responses: Responses | None = None,
) -> list[WindowUsage]:
    """Every plan window's current usage; from the logs' `responses` when given, else from
    ledger `rows`."""
    tz = ZoneInfo(vault.settings.timezone)
    rows = list(rows)
    out = []
    for plan in vault.plans:
        for w in plan.windows:
            start, resets = window_bounds(w, now, tz)
            if responses is not None:
                tokens, money = _from_responses(vault, responses, start, now)
            else:
                tokens, money = _from_rows(vault, rows, start, now)
            out.append(
                WindowUsage(
                    plan=plan,
                    window=w,
                    start=start,
                    resets_at=resets,
                    tokens=tokens,
                    usd=money.usd,
                    source="logs" if responses is not None else "ledgers",
                    unpriced_tokens=money.unpriced_tokens,
                    unpriced_models=money.unpriced_models,
                )
            )
    return out


def local_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()
