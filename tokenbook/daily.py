"""Daily totals of a bet or cycle, and the signals read from them: whether a pace window holds
unpriced usage, and bets that burn well above their own or similar bets' typical pace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

from tokenbook.ledger import LedgerRow
from tokenbook.pace import Daily
from tokenbook.pace import Pace
from tokenbook.pace import over_typical
from tokenbook.pricing import PriceBook
from tokenbook.stats import median

if TYPE_CHECKING:
    from tokenbook.dashboard import BetView


def daily_totals(
    rows: list[LedgerRow], book: PriceBook, kinds: tuple[str, ...]
) -> dict[date, Daily]:
    """Budget tokens and priced USD per day (an unpriced row adds 0): each day's rows summed
    column by column, the dollars in the rows' order as one row after another would."""
    by_day: dict[date, list[LedgerRow]] = {}
    for row in rows:
        same = by_day.get(row.date)
        if same is None:
            by_day[row.date] = [row]
        else:
            same.append(row)
    days: dict[date, Daily] = {}
    for day, same in by_day.items():
        tokens = [r.tokens for r in same]
        used = sum(sum(map(attrgetter(k), tokens)) for k in kinds)
        usd = sum((book.price(r).usd or Decimal(0) for r in same), Decimal(0))
        days[day] = Daily(tokens=used, usd=usd)
    return days


def window_unpriced(rows: Iterable[LedgerRow], book: PriceBook, p: Pace | None) -> bool:
    """Whether a pace's window holds usage with no price (its burn in dollars is a floor)."""
    if p is None:
        return False
    return any(p.window_start <= r.date <= p.window_end and book.price(r).usd is None for r in rows)


def _burn(days: dict[date, Daily], before: date = date.max) -> Decimal | None:
    """Budget tokens per active day, over the days before `before`."""
    active = [d.tokens for day, d in days.items() if day < before and d.tokens]
    return Decimal(sum(active)) / len(active) if active else None


def typical_warnings(views: list[BetView], min_days: int = 3) -> None:
    """Warn when a bet's recent burn is well above its own earlier pace or similar bets'."""
    for v in views:
        p = v.pace
        if p is None or v.bet is None or not p.active_days:
            continue
        recent = Decimal(p.burn_tokens)
        earlier = [d for d in v.daily if d < p.window_start and v.daily[d].tokens]
        own = _burn(v.daily, p.window_start) if len(earlier) >= min_days else None
        ratio = over_typical(recent, own)
        if ratio is not None:
            v.warnings.append(f"burns {ratio:.1f}x its own earlier pace per active day")
        peers = [
            b
            for b in views
            if b is not v and b.bet and set(b.bet.tags) & set(v.bet.tags) and b.daily
        ]
        burns = sorted(x for x in (_burn(b.daily) for b in peers) if x is not None)
        if burns:
            ratio = over_typical(recent, median(burns))
            if ratio is not None:
                names = ", ".join(sorted(b.id for b in peers))
                v.warnings.append(f"burns {ratio:.1f}x the median of similar bets ({names})")
