"""The burn-up chart: spend to date, day by day, against the cycle's budget and an even pace.

The x-axis is the day of the cycle (0 = its start, N = the end of its N-th day), so a chart of
a 30-day cycle gets round ticks (0, 5, 10, ...) instead of 30 labels that overlap. Each line
holds one value per day: the total at the end of that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal

from tokenbook.model import Cycle
from tokenbook.pace import Daily

MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True, kw_only=True)
class Burnup:
    unit: str  # "USD" or "M tokens"
    first: date  # day 1
    days: int  # days plotted: day 0 (the start, nothing spent) to day `days`
    spent: tuple[Decimal, ...]  # cumulative at the end of each day, from day 0
    budget: Decimal | None
    even: tuple[Decimal, ...]  # the budget spread evenly over the cycle's days
    floor: bool  # part of the usage has no price: the spend line is its priced part

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    @property
    def total(self) -> Decimal:
        return self.spent[-1]


def burnup(cycle: Cycle, days: Mapping[date, Daily], as_of: date, floor: bool) -> Burnup | None:
    """Dollars against `budget_usd` when the cycle has one, else tokens (millions) against
    `budget_tokens`, else dollars alone; None before the cycle starts."""
    last = min(as_of, cycle.end)
    count = (last - cycle.start).days + 1
    if count < 1:
        return None
    dollars = cycle.budget_usd is not None or cycle.budget_tokens is None
    budget = cycle.budget_usd if dollars else Decimal(cycle.budget_tokens or 0) / MILLION
    spent, total = [Decimal(0)], Decimal(0)
    for i in range(count):
        d = days.get(cycle.start + timedelta(days=i), Daily())
        total += d.usd if dollars else Decimal(d.tokens) / MILLION
        spent.append(total)
    even = tuple(budget * i / cycle.days for i in range(count + 1)) if budget is not None else ()
    return Burnup(
        unit="USD" if dollars else "M tokens",
        first=cycle.start,
        days=count,
        spent=tuple(spent),
        budget=budget,
        even=even,
        floor=floor and dollars,
    )
