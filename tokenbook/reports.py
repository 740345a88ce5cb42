"""Usage totals computed from the ledgers: per day, week, month, session, bet, model or project.

One pass over the resolved rows; each row is priced once and its cost added to its bucket, the
bucket's model line, the totals and the totals' model line.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from decimal import Decimal
from fnmatch import fnmatchcase

from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import week_start
from tokenbook.pricing import PriceBook
from tokenbook.pricing import Priced
from tokenbook.store import LedgerSet
from tokenbook.store import Placed

NO_PROJECT = "(no project)"
# kinds by a record's label (`actions.py`; the JSON column has the same name), and what
# `--breakdown` splits rows by
LABEL_KINDS = ("command", "skill", "agent", "run", "source")
PARTS = ("model", "agent", "run", "command", "skill", "source")


@dataclass(slots=True)
class Usage:
    """A running total. Cost is None as soon as any part of it has no price."""

    tokens: Tokens = field(default_factory=Tokens)
    responses: int = 0
    web_search: int = 0
    priced_usd: Decimal = Decimal(0)
    unpriced_tokens: int = 0
    unpriced: set[str] = field(default_factory=set)  # why: one reason per model and day
    unpriced_models: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)

    def add(self, row: LedgerRow, book: PriceBook) -> None:
        self.add_priced(row, book.price(row))

    def add_priced(self, row: LedgerRow, priced: Priced) -> None:
        """Add a row whose price is already known (reports price each row once)."""
        self.count(row)
        self.add_cost(priced, row.tokens.total)
        if priced.usd is None:
            self.unpriced_models.add(row.model)

    def count(self, row: LedgerRow) -> None:
        """Add a row's usage but not its cost."""
        self.tokens = self.tokens + row.tokens
        self.responses += row.responses
        self.web_search += row.web_search
        self.sessions.add(row.session)

    def add_cost(self, priced: Priced, tokens: int) -> None:
        """Add the cost of `tokens` tokens already counted."""
        if priced.usd is None:
            self.unpriced_tokens += tokens
            self.unpriced.add(priced.unpriced)
        else:
            self.priced_usd += priced.usd

    def merge(self, other: Usage) -> None:
        """Add another total into this one."""
        self.tokens = self.tokens + other.tokens
        self.responses += other.responses
        self.web_search += other.web_search
        self.priced_usd += other.priced_usd
        self.unpriced_tokens += other.unpriced_tokens
        self.unpriced |= other.unpriced
        self.unpriced_models |= other.unpriced_models
        self.sessions |= other.sessions

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


def utc_text(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Bucket:
    """One report row: its total, its per-model totals and where its usage came from."""

    label: str
    usage: Usage = field(default_factory=Usage)
    models: dict[str, Usage] = field(default_factory=dict)
    ledgers: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    parts: dict[str, Usage] = field(default_factory=dict)  # `--breakdown` other than model

    def add(self, placed: Placed, book: PriceBook) -> None:
        self.add_priced(placed, book.price(placed.row))

    def add_priced(self, placed: Placed, priced: Priced) -> None:
        self.note(placed)
        self.usage.add_priced(placed.row, priced)
        model = self.models.get(placed.row.model)
        if model is None:
            model = self.models[placed.row.model] = Usage()
        model.add_priced(placed.row, priced)

    def note(self, placed: Placed) -> None:
        """Where and when a row's usage happened (its tokens are added elsewhere)."""
        row = placed.row
        self.ledgers.add(placed.ledger)
        if row.project:
            self.projects.add(row.project)
        if self.first is None or row.first < self.first:
            self.first = row.first
        if self.last is None or row.last > self.last:
            self.last = row.last

    def merge_models(self) -> None:
        """Set the total from the per-model totals."""
        self.usage = Usage()
        for model in self.models.values():
            self.usage.merge(model)


# kind -> (label key in JSON, label of a resolved row). Days are already local to the vault.
BY: dict[str, tuple[str, Callable[[Placed], str]]] = {
    "daily": ("date", lambda p: p.row.date.isoformat()),
    "weekly": ("week", lambda p: week_start(p.row.date).isoformat()),
    "monthly": ("month", lambda p: p.row.date.strftime("%Y-%m")),
    "session": ("session", lambda p: p.row.session),
    "bet": ("bet", lambda p: p.ledger),
    "model": ("model", lambda p: p.row.model),
    "project": ("project", lambda p: p.row.project or NO_PROJECT),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    since: date | None = None
    until: date | None = None
    bet: str | None = None
    project: str | None = None
    source: str | None = None  # the agent tool (`claude-code`, `codex`, `opencode`, `gemini`)

    def keeps(self, placed: Placed) -> bool:
        row = placed.row
        if self.source is not None and row.source != self.source:
            return False
        if self.since and row.date < self.since:
            return False
        if self.until and row.date > self.until:
            return False
        if self.project is not None and not fnmatchcase(row.project, self.project):
            return False
        return self.bet is None or placed.ledger == self.bet


@dataclass(frozen=True, slots=True)
class Report:
    kind: str
    column: str
    buckets: tuple[Bucket, ...]
    totals: Bucket
    part: str = ""  # what `Bucket.parts` break each row down by (agent, run, command, skill)


# What a row's price depends on besides its token counts. Prices are linear in the counts, so
# rows that agree on these are summed and priced once: the exact same Decimal as row by row.
# If PriceBook.price starts to read another row field, add it here
# (tests/test_reports.py::test_costs_equal_pricing_every_row_alone checks the sums).
PriceKey = tuple[date, str, str, str, int, bool]


def _price_key(row: LedgerRow) -> PriceKey:
    return (row.date, row.model, row.speed, row.geo, row.prompt_over, row.web_search > 0)


@dataclass(slots=True)
class _Group:
    """Rows of one bucket with one price key, summed."""

    row: LedgerRow  # the first row: what the price depends on besides the counts
    sums: list[int]  # input, output, cache_write_5m, cache_write_1h, cache_read, responses, web
    sessions: set[str]

    @classmethod
    def of(cls, row: LedgerRow) -> _Group:
        return cls(row, [0] * 7, set())

    def add(self, row: LedgerRow) -> None:
        t, n = row.tokens, self.sums
        n[0] += t.input
        n[1] += t.output
        n[2] += t.cache_write_5m
        n[3] += t.cache_write_1h
        n[4] += t.cache_read
        n[5] += row.responses
        n[6] += row.web_search
        self.sessions.add(row.session)

    def total(self) -> LedgerRow:
        n = self.sums
        tokens = Tokens(
            input=n[0], output=n[1], cache_write_5m=n[2], cache_write_1h=n[3], cache_read=n[4]
        )
        return replace(self.row, tokens=tokens, responses=n[5], web_search=n[6])


Groups = dict[tuple[str, PriceKey], LedgerRow | _Group]


def build_report(kind: str, ledgers: LedgerSet, book: PriceBook, keep: Filter) -> Report:
    """One pass over the resolved rows. Rows of one bucket that prices cannot tell apart are
    summed and priced once into the bucket's per-model total; bucket totals and the report's
    totals are sums of those."""
    column, label_of = BY[kind]
    buckets: dict[str, Bucket] = {}
    groups: Groups = {}
    for placed in ledgers.rows.values():
        if not keep.keeps(placed):
            continue
        label = label_of(placed)
        bucket = buckets.get(label)
        if bucket is None:
            bucket = buckets[label] = Bucket(label)
        bucket.note(placed)
        _group(groups, (label, _price_key(placed.row)), placed.row)
    _price(groups, buckets, book)
    totals = totals_of(buckets.values())
    order = sorted(
        buckets.values(),
        key=lambda b: (b.first or datetime.min, b.label) if kind == "session" else b.label,
    )
    return Report(kind, column, tuple(order), totals)


def _group(groups: Groups, key: tuple[str, PriceKey], row: LedgerRow) -> None:
    known = groups.get(key)
    if known is None:
        groups[key] = row  # most groups hold one row: it is priced as it is
    elif isinstance(known, _Group):
        known.add(row)
    else:
        group = groups[key] = _Group.of(known)
        group.add(known)
        group.add(row)


def _price(groups: Groups, buckets: dict[str, Bucket], book: PriceBook) -> None:
    for (label, _), known in groups.items():
        row = known.total() if isinstance(known, _Group) else known
        models = buckets[label].models
        usage = models.get(row.model)
        if usage is None:
            usage = models[row.model] = Usage()
        usage.add_priced(row, book.price(row))
        if isinstance(known, _Group):
            usage.sessions |= known.sessions


def totals_of(buckets: Iterable[Bucket]) -> Bucket:
    totals = Bucket("total")
    for bucket in buckets:
        bucket.merge_models()
        totals.ledgers |= bucket.ledgers
        totals.projects |= bucket.projects
        for name, usage in bucket.models.items():
            totals.models.setdefault(name, Usage()).merge(usage)
        for name, usage in bucket.parts.items():
            totals.parts.setdefault(name, Usage()).merge(usage)
    totals.merge_models()
    return totals
