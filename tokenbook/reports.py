"""Usage totals computed from the ledgers: per day, month or session, with cost."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any

from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet
from tokenbook.store import Placed


@dataclass(slots=True)
class Usage:
    """A running total. Cost is None as soon as any part of it has no price."""

    tokens: Tokens = field(default_factory=Tokens)
    responses: int = 0
    web_search: int = 0
    priced_usd: Decimal = Decimal(0)
    unpriced_tokens: int = 0
    unpriced: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)

    def add(self, row: LedgerRow, book: PriceBook) -> None:
        self.tokens = self.tokens + row.tokens
        self.responses += row.responses
        self.web_search += row.web_search
        self.sessions.add(row.session)
        priced = book.price(row)
        if priced.usd is None:
            self.unpriced_tokens += row.tokens.total
            self.unpriced.add(priced.unpriced)
        else:
            self.priced_usd += priced.usd

    @property
    def usd(self) -> Decimal | None:
        return None if self.unpriced else self.priced_usd

    def budget_tokens(self, kinds: Iterable[str]) -> int:
        return sum(getattr(self.tokens, k) for k in kinds)


def usd_text(value: Decimal | None) -> str | None:
    """Exact decimal string, no exponent: the JSON form of money."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def usage_json(u: Usage) -> dict[str, Any]:
    t = u.tokens
    return {
        "input_tokens": t.input,
        "output_tokens": t.output,
        "cache_creation_input_tokens": t.cache_write,
        "cache_creation_5m_input_tokens": t.cache_write_5m,
        "cache_creation_1h_input_tokens": t.cache_write_1h,
        "cache_read_input_tokens": t.cache_read,
        "total_tokens": t.total,
        "web_search_requests": u.web_search,
        "responses": u.responses,
        "cost_usd": usd_text(u.usd),
        "unpriced": sorted(u.unpriced),
    }


@dataclass(slots=True)
class Bucket:
    label: str
    usage: Usage = field(default_factory=Usage)
    models: dict[str, Usage] = field(default_factory=dict)
    ledgers: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    first: str = ""
    last: str = ""

    def add(self, placed: Placed, book: PriceBook) -> None:
        row = placed.row
        self.usage.add(row, book)
        self.models.setdefault(row.model, Usage()).add(row, book)
        self.ledgers.add(placed.ledger)
        if row.project:
            self.projects.add(row.project)
        first, last = (
            row.first.strftime("%Y-%m-%dT%H:%M:%SZ"),
            row.last.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        self.first = min(self.first, first) if self.first else first
        self.last = max(self.last, last)


BY: dict[str, tuple[str, Callable[[LedgerRow], str]]] = {
    "daily": ("date", lambda r: r.date.isoformat()),
    "monthly": ("month", lambda r: r.date.strftime("%Y-%m")),
    "session": ("session", lambda r: r.session),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    since: date | None = None
    until: date | None = None
    bet: str | None = None

    def keeps(self, placed: Placed) -> bool:
        row = placed.row
        if self.since and row.date < self.since:
            return False
        if self.until and row.date > self.until:
            return False
        return self.bet is None or placed.ledger == self.bet


@dataclass(frozen=True, slots=True)
class Report:
    kind: str
    column: str
    buckets: tuple[Bucket, ...]
    totals: Bucket


def build_report(kind: str, ledgers: LedgerSet, book: PriceBook, keep: Filter) -> Report:
    column, label_of = BY[kind]
    buckets: dict[str, Bucket] = {}
    totals = Bucket("total")
    for placed in ledgers.rows.values():
        if not keep.keeps(placed):
            continue
        label = label_of(placed.row)
        buckets.setdefault(label, Bucket(label)).add(placed, book)
        totals.add(placed, book)
    order = sorted(
        buckets.values(), key=lambda b: (b.first, b.label) if kind == "session" else b.label
    )
    return Report(kind, column, tuple(order), totals)


def report_json(report: Report) -> dict[str, Any]:
    def bucket_json(b: Bucket) -> dict[str, Any]:
        out = usage_json(b.usage)
        out["models"] = {m: usage_json(u) for m, u in sorted(b.models.items())}
        return out

    rows = []
    for b in report.buckets:
        row: dict[str, Any] = {report.column: b.label}
        if report.kind == "session":
            row |= {
                "first": b.first,
                "last": b.last,
                "bets": sorted(b.ledgers),
                "projects": sorted(b.projects),
            }
        rows.append(row | bucket_json(b))
    return {"rows": rows, "totals": bucket_json(report.totals)}
