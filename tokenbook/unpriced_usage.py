"""Usage with no price, grouped by why: one line per model and reason, not one per day.

A price is missing per model and day (`pricing.Priced.unpriced` names the day); a history of
sixty days of one unknown model is one line here, with its tokens and the days it spans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tokenbook.ledger import LedgerRow
from tokenbook.pricing import PriceBook


@dataclass(frozen=True, slots=True, kw_only=True)
class Unpriced:
    model: str
    reason: str  # e.g. "no price for region 'us' of claude-opus-4-5"
    tokens: int
    responses: int
    first: date
    last: date


def unpriced_usage(rows: Iterable[LedgerRow], book: PriceBook) -> list[Unpriced]:
    """Most tokens first."""
    groups: dict[tuple[str, str], Unpriced] = {}
    for row in rows:
        priced = book.price(row)
        if priced.usd is not None:
            continue
        key = (row.model, priced.unpriced.replace(f" on {row.date}", ""))
        was = groups.get(key)
        groups[key] = Unpriced(
            model=row.model,
            reason=key[1],
            tokens=row.tokens.total + (was.tokens if was else 0),
            responses=row.responses + (was.responses if was else 0),
            first=min(row.date, was.first) if was else row.date,
            last=max(row.date, was.last) if was else row.date,
        )
    return sorted(groups.values(), key=lambda u: (-u.tokens, u.model, u.reason))
