"""Burn rate and projection of a bet or a cycle: pure arithmetic over daily totals.

Burn is measured per *active* day (a day with usage) over a recent window; the projection
spreads the window's calendar-day rate over the days left in the cycle. The interval puts every
remaining day at the 10th and the 90th percentile of the window's daily amounts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal

from tokenbook.stats import quantile

WINDOW_DAYS = 7
OVER_TYPICAL = Decimal("1.5")  # a bet burning this much faster than typical gets a warning


@dataclass(frozen=True, slots=True, kw_only=True)
class Daily:
    tokens: int = 0
    usd: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Projection:
    tokens: int
    usd: Decimal
    tokens_low: int
    tokens_high: int
    usd_low: Decimal
    usd_high: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Pace:
    window_start: date
    window_end: date
    active_days: int
    burn_tokens: int  # per active day in the window
    burn_usd: Decimal
    remaining_days: int  # days of the cycle after the window's last day
    projected: Projection
    runs_out_on: date | None = None  # the day the appetite is used up at this pace

    @property
    def window_days(self) -> int:
        return (self.window_end - self.window_start).days + 1


def _int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pace(
    days: Mapping[date, Daily],
    used: Daily,
    start: date,
    end: date,
    as_of: date,
    appetite: tuple[int | None, Decimal | None] = (None, None),
) -> Pace | None:
    """Pace over the `WINDOW_DAYS` up to `as_of` (inside start..end); None before the start."""
    last = min(as_of, end)
    if last < start:
        return None
    first = max(start, last - timedelta(days=WINDOW_DAYS - 1))
    window = [days.get(first + timedelta(days=i), Daily()) for i in range((last - first).days + 1)]
    active = sum(1 for d in window if d.tokens or d.usd)
    tok = [Decimal(d.tokens) for d in window]
    usd = [d.usd for d in window]
    left = (end - last).days

    def ahead(values: list[Decimal], q: float | None) -> Decimal:
        rate = sum(values, Decimal(0)) / len(values) if q is None else quantile(values, q)
        return rate * left

    projected = Projection(
        tokens=used.tokens + _int(ahead(tok, None)),
        usd=used.usd + ahead(usd, None),
        tokens_low=used.tokens + _int(ahead(tok, 0.1)),
        tokens_high=used.tokens + _int(ahead(tok, 0.9)),
        usd_low=used.usd + ahead(usd, 0.1),
        usd_high=used.usd + ahead(usd, 0.9),
    )
    return Pace(
        window_start=first,
        window_end=last,
        active_days=active,
        burn_tokens=_int(sum(tok, Decimal(0)) / active) if active else 0,
        burn_usd=sum(usd, Decimal(0)) / active if active else Decimal(0),
        remaining_days=left,
        projected=projected,
        runs_out_on=_runs_out(tok, usd, used, last, end, appetite),
    )


def _runs_out(
    tok: list[Decimal],
    usd: list[Decimal],
    used: Daily,
    last: date,
    end: date,
    appetite: tuple[int | None, Decimal | None],
) -> date | None:
    """The first day the appetite (tokens or USD) is used up at the window's daily rate."""
    found = []
    for values, have, limit in (
        (tok, Decimal(used.tokens), appetite[0]),
        (usd, used.usd, appetite[1]),
    ):
        rate = sum(values, Decimal(0)) / len(values)
        if limit is not None and have >= limit:
            return None  # already used up: nothing left to run out
        if limit is None or rate <= 0:
            continue
        days = math.ceil((Decimal(limit) - have) / rate)
        if days <= (end - last).days:  # later than the cycle's end (or past year 9999): no date
            found.append(last + timedelta(days=days))
    return min(found, default=None)


def over_typical(recent: Decimal, typical: Decimal | None) -> Decimal | None:
    """How many times faster than typical, when that is at least `OVER_TYPICAL`."""
    if typical is None or typical <= 0:
        return None
    ratio = recent / typical
    return ratio if ratio >= OVER_TYPICAL else None
