"""Totals of many rows at once (`reports.Usage`), as the sums of columns rather than one row
added after another: the dashboard adds each row into about fifteen totals.

The same figures as `Usage.add` row by row (tests/test_usagesum.py): token counts are sums of
integers, and the priced dollars are added in the rows' order from `Decimal(0)`, as `add` does.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from decimal import Decimal
from operator import attrgetter
from typing import TypeVar

from tokenbook.breakdown import Line
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import Placed

_COUNTS = attrgetter("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
_TOKENS = attrgetter("tokens")
_RESPONSES = attrgetter("responses")
_WEB = attrgetter("web_search")
_SESSION = attrgetter("session")
_ZERO = (0, 0, 0, 0, 0)
K = TypeVar("K")


def usage_of(rows: Sequence[LedgerRow], book: PriceBook) -> Usage:
    """The total of `rows`: what `Usage.add` of each, in order, makes."""
    usage = Usage()
    if not rows:
        return usage
    n = [sum(column) for column in zip(_ZERO, *map(_COUNTS, map(_TOKENS, rows)), strict=True)]
    usage.tokens = Tokens(
        input=n[0], output=n[1], cache_write_5m=n[2], cache_write_1h=n[3], cache_read=n[4]
    )
    usage.responses = sum(map(_RESPONSES, rows))
    usage.web_search = sum(map(_WEB, rows))
    usage.sessions = set(map(_SESSION, rows))
    prices = list(map(book.price, rows))
    usage.priced_usd = sum((p.usd for p in prices if p.usd is not None), Decimal(0))
    for row, priced in zip(rows, prices, strict=True):
        if priced.usd is None:
            usage.unpriced_tokens += row.tokens.total
            usage.unpriced.add(priced.unpriced)
            usage.unpriced_models.add(row.model)
    return usage


def usages_by(pairs: Iterable[tuple[K, LedgerRow]], book: PriceBook) -> dict[K, Usage]:
    """The total of each label's rows, labels in the order they first come."""
    groups: dict[K, list[LedgerRow]] = {}
    for label, row in pairs:
        rows = groups.get(label)
        if rows is None:
            groups[label] = [row]
        else:
            rows.append(row)
    return {label: usage_of(rows, book) for label, rows in groups.items()}


def lines_of(pairs: Iterable[tuple[str, LedgerRow]], book: PriceBook) -> list[Line]:
    """`breakdown.breakdown`'s lines: the most expensive first, then the most tokens, then by
    label."""
    lines = [Line(label, usage) for label, usage in usages_by(pairs, book).items()]
    return sorted(lines, key=lambda ln: (-(ln.usage.priced_usd), -ln.usage.tokens.total, ln.label))


def breakdown(
    placed: Iterable[Placed], book: PriceBook, label: Callable[[Placed], str]
) -> list[Line]:
    """`breakdown.breakdown`, from the sums of columns."""
    return lines_of(((label(p), p.row) for p in placed), book)


def top_sessions(placed: list[Placed], book: PriceBook, limit: int = 10) -> list[Line]:
    """`breakdown.top_sessions`: the sessions ranked by their dollars and tokens alone, the
    totals made for the `limit` first."""
    rows: dict[str, list[LedgerRow]] = {}
    bets: dict[str, set[str]] = {}
    for p in placed:
        rows.setdefault(p.row.session, []).append(p.row)
        bets.setdefault(p.row.session, set()).add(p.ledger)
    rank = {session: _rank(same, book) for session, same in rows.items()}
    top = sorted(rows, key=lambda s: (rank[s], s))[:limit]
    return [Line(s, usage_of(rows[s], book), ", ".join(sorted(bets[s]))) for s in top]


def _rank(rows: list[LedgerRow], book: PriceBook) -> tuple[Decimal, int]:
    """What `breakdown` sorts by: the most dollars first, then the most tokens."""
    usd = sum((p.usd for p in map(book.price, rows) if p.usd is not None), Decimal(0))
    return -usd, -sum(r.tokens.total for r in rows)
