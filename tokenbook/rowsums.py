"""Ledger rows that prices cannot tell apart, summed: prices are linear in the counts, so the sum
of such rows is priced once to the exact Decimal the rows give one by one (the rule
`reports.build_report` follows; `tests/test_reports.py` checks it on every row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from tokenbook.events import Tokens
from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.ledger import LedgerRow

PriceKey = tuple[date, str, str, str, int, bool]  # as `reports.PriceKey`


def price_key(row: LedgerRow) -> PriceKey:
    """What a row's price depends on besides its counts."""
    return (row.date, row.model, row.speed, row.geo, row.prompt_over, row.web_search > 0)


def by_price(rows: Iterable[LedgerRow]) -> dict[PriceKey, list[LedgerRow]]:
    out: dict[PriceKey, list[LedgerRow]] = {}
    for row in rows:
        out.setdefault(price_key(row), []).append(row)
    return out


def summed(rows: list[LedgerRow]) -> LedgerRow:
    """Rows of one price key as one: the first with the counts of all."""
    if len(rows) == 1:
        return rows[0]
    t = [sum(getattr(r.tokens, k) for r in rows) for k in TOKEN_COLUMNS]
    tokens = Tokens(**dict(zip(TOKEN_COLUMNS, t, strict=True)))
    responses = sum(r.responses for r in rows)
    search, fetch = sum(r.web_search for r in rows), sum(r.web_fetch for r in rows)
    return replace(rows[0], tokens=tokens, responses=responses, web_search=search, web_fetch=fetch)
