"""The dashboard's totals from the sums of columns (`usagesum.py`) equal `Usage.add` row by row
and `breakdown.py`'s tables: the same tokens, sessions, Decimals and unpriced reasons."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tokenbook import breakdown
from tokenbook import progress
from tokenbook import usagesum
from tokenbook.daily import daily_totals
from tokenbook.pace import Daily
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

REPO = Path(__file__).resolve().parent.parent


def example() -> tuple[list, PriceBook]:
    vault = load_vault(REPO / "vault")
    return list(load_ledgers(vault).rows.values()), PriceBook(vault)


def test_usage_of_equals_adding_row_by_row():
    placed, book = example()
    want = Usage()
    for p in placed:
        want.add(p.row, book)
    got = usagesum.usage_of([p.row for p in placed], book)
    assert got == want
    assert str(got.priced_usd) == str(want.priced_usd)  # the same exponent too
    assert want.unpriced  # the example vault has unpriced usage
    assert usagesum.usage_of([], book) == Usage()


def test_breakdowns_equal_the_row_by_row_tables():
    placed, book = example()
    for label in (lambda p: p.row.model, lambda p: p.row.project, lambda p: p.row.date.isoformat()):
        want = breakdown.breakdown(placed, book, label)
        got = usagesum.breakdown(placed, book, label)
        assert [(ln.label, ln.usage, str(ln.usage.priced_usd)) for ln in got] == [
            (ln.label, ln.usage, str(ln.usage.priced_usd)) for ln in want
        ]
    for limit in (1, 3, 10_000):
        assert usagesum.top_sessions(placed, book, limit) == breakdown.top_sessions(
            placed, book, limit
        )


def test_daily_totals_equal_adding_row_by_row():
    placed, book = example()
    rows = [p.row for p in placed]
    for kinds in (("input", "output"), ("output",), ("input", "cache_read", "cache_write_5m")):
        want: dict = {}
        for row in rows:
            d = want.get(row.date, Daily())
            usd = book.price(row).usd or Decimal(0)
            tokens = sum(getattr(row.tokens, k) for k in kinds)
            want[row.date] = Daily(tokens=d.tokens + tokens, usd=d.usd + usd)
        got = daily_totals(rows, book, kinds)
        assert list(got.items()) == list(want.items())
        assert [str(d.usd) for d in got.values()] == [str(d.usd) for d in want.values()]


def test_progress_sessions_equal_adding_row_by_row():
    placed, book = example()
    for ledger in sorted({p.ledger for p in placed}):
        rows = [p.row for p in placed if p.ledger == ledger]
        want: dict[str, breakdown.Line] = {}
        for row in rows:
            line = want.setdefault(
                row.session, breakdown.Line(row.session, extra=row.date.isoformat())
            )
            line.usage.add(row, book)
        expected = sorted(want.values(), key=lambda ln: (ln.extra, ln.label))
        assert progress._sessions(rows, book) == expected
