"""Model what-if: the same measured usage priced as if another model had served it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from decimal import Decimal

from tokenbook.events import Tokens
from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.ledger import LedgerRow
from tokenbook.model import ModelPrice
from tokenbook.model import Vault
from tokenbook.pricing import MTOK
from tokenbook.pricing import PriceBook
from tokenbook.pricing import book_for
from tokenbook.rowsums import by_price
from tokenbook.rowsums import summed


@dataclass(slots=True)
class Term:
    """One line of the arithmetic: tokens of one kind x the average rate = dollars."""

    kind: str
    tokens: int = 0
    usd: Decimal = Decimal(0)

    @property
    def rate(self) -> Decimal | None:
        """USD per million tokens (an average when several price entries applied)."""
        return self.usd * MTOK / self.tokens if self.tokens else None


@dataclass(slots=True)
class Repriced:
    model: ModelPrice
    rows: int = 0  # rows priced both ways: what the totals cover
    actual_usd: Decimal = Decimal(0)
    actual_unpriced: set[str] = field(default_factory=set)  # rows left out: no actual price
    terms: dict[str, Term] = field(default_factory=dict)
    unpriced: set[str] = field(default_factory=set)  # rows left out: no price under `model`
    actual_unpriced_tokens: int = 0  # the tokens of the rows left out for each reason
    unpriced_tokens: int = 0
    actual_unpriced_models: set[str] = field(default_factory=set)

    @property
    def usd(self) -> Decimal:
        return sum((t.usd for t in self.terms.values()), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return self.actual_usd - self.usd


def resolve_model(vault: Vault, name: str) -> ModelPrice | None:
    """A model by id (glob match, as pricing does) or by its display name."""
    found = PriceBook(vault).model(name)
    if found is not None:
        return found
    return next((m for m in vault.models if m.name.lower() == name.lower()), None)


def reprice(vault: Vault, rows: Iterable[LedgerRow], target: ModelPrice) -> Repriced:
    """Price every row's tokens (and web searches) as if `target` had served them.

    A row that has no price either way is left out of both totals (and its reason kept), so the
    two totals always compare the same usage. Rows that prices cannot tell apart are summed and
    priced once (`rowsums.py`: the same Decimals as row by row)."""
    actual = book_for(vault)
    other = _target_book(vault, target)
    as_target = target.patterns[0]  # a pattern matches itself, so the target prices it
    out = Repriced(model=target, terms={k: Term(k) for k in (*TOKEN_COLUMNS, "web_search")})
    for same in by_price(rows).values():
        row = summed(same)
        priced = actual.price(row)
        if priced.usd is None:
            out.actual_unpriced.add(priced.unpriced)
            out.actual_unpriced_models.add(row.model)
            out.actual_unpriced_tokens += row.tokens.total
            continue
        terms, missing = _terms(other, replace(row, model=as_target))
        if missing:
            out.unpriced.add(missing)
            out.unpriced_tokens += row.tokens.total
            continue
        out.rows += len(same)
        out.actual_usd += priced.usd
        for kind, (n, usd) in terms.items():
            out.terms[kind].tokens += n
            out.terms[kind].usd += usd
    return out


_TARGETS: dict[tuple[int, int], tuple[Vault, ModelPrice, PriceBook]] = {}


def _target_book(vault: Vault, target: ModelPrice) -> PriceBook:
    """The book of `target` alone, one per vault object and model (the dashboard reprices
    several bets as one model): its lookups and prices are kept between them."""
    key = (id(vault), id(target))
    known = _TARGETS.get(key)
    if known is None or known[0] is not vault or known[1] is not target:
        if len(_TARGETS) > 8:
            _TARGETS.clear()
        known = _TARGETS[key] = (vault, target, PriceBook(replace(vault, models=(target,))))
    return known[2]


def _terms(book: PriceBook, row: LedgerRow) -> tuple[dict[str, tuple[int, Decimal]], str]:
    """Tokens and dollars per kind for one row, or why the row has no price."""
    terms: dict[str, tuple[int, Decimal]] = {}
    for kind in TOKEN_COLUMNS:
        n = getattr(row.tokens, kind)
        if not n:
            continue
        priced = book.price(replace(row, tokens=Tokens(**{kind: n}), web_search=0))
        if priced.usd is None:
            return {}, priced.unpriced
        terms[kind] = (n, priced.usd)
    if row.web_search:
        search = book.web_search_price(row.date)
        if search is None:
            return {}, f"no web search price on {row.date}"
        terms["web_search"] = (row.web_search, Decimal(row.web_search) * search.usd / 1000)
    return terms, ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    current: str  # display name of the model most of the usage ran on
    cheaper: str
    actual_usd: Decimal
    cheaper_usd: Decimal
    left_out_tokens: int = 0  # usage with no price either way: not in the two figures

    @property
    def saving(self) -> Decimal:
        return self.actual_usd - self.cheaper_usd

    @property
    def saving_percent(self) -> Decimal:
        return self.saving * 100 / self.actual_usd if self.actual_usd else Decimal(0)


def _output_rate(book: PriceBook, model: ModelPrice, day: date) -> Decimal | None:
    entry = book.entry(model.patterns[0], day)
    return entry.rates.output if entry else None


def suggest_cheaper(
    vault: Vault, rows: list[LedgerRow], candidates: Iterable[str], day: date
) -> Suggestion | None:
    """The next cheaper tier among the models the team uses (`candidates`), with the saving
    had the bet's usage so far run on it."""
    book = book_for(vault)
    by_model: dict[str, int] = {}
    for row in rows:
        by_model[row.model] = by_model.get(row.model, 0) + row.tokens.total
    if not by_model:
        return None
    main = book.model(max(sorted(by_model), key=lambda m: by_model[m]))
    if main is None or (rate := _output_rate(book, main, day)) is None:
        return None
    cheaper = []
    for name in sorted(set(candidates)):
        m = book.model(name)
        other = _output_rate(book, m, day) if m else None
        if m is not None and other is not None and other < rate:
            cheaper.append((other, m.name, m))
    if not cheaper:
        return None
    target = max(cheaper, key=lambda c: (c[0], c[1]))[2]
    result = reprice(vault, rows, target)
    if not result.rows or result.saving <= 0:
        return None
    left_out = result.actual_unpriced_tokens + result.unpriced_tokens
    return Suggestion(main.name, target.name, result.actual_usd, result.usd, left_out)
