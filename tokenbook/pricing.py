"""Price ledger rows from the vault's dated price lists. A missing price is never $0."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase

from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.ledger import LedgerRow
from tokenbook.model import DatedPrice
from tokenbook.model import ModelPrice
from tokenbook.model import PriceEntry
from tokenbook.model import Vault

MTOK = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Priced:
    """The cost of one row, or why it has none (`usd` is None then)."""

    usd: Decimal | None
    unpriced: str = ""


class PriceBook:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.models = vault.models
        self.web_search = vault.web_search
        self._match: dict[str, ModelPrice | None] = {}
        self._entries: dict[tuple[str, date], PriceEntry | None] = {}
        self._priced: dict[int, tuple[LedgerRow, Priced]] = {}  # by row object (reports ask often)

    def model(self, model_id: str) -> ModelPrice | None:
        """Exact pattern first, then the longest matching glob."""
        if model_id not in self._match:
            best: tuple[bool, int, str] | None = None
            found = None
            for m in self.models:
                for p in m.patterns:
                    if fnmatchcase(model_id, p):
                        rank = (p == model_id, len(p), p)
                        if best is None or rank > best:
                            best, found = rank, m
            self._match[model_id] = found
        return self._match[model_id]

    def entry(self, model_id: str, day: date) -> PriceEntry | None:
        key = (model_id, day)
        if key not in self._entries:
            m = self.model(model_id)
            found = None
            if m is not None:
                i = bisect.bisect_right([e.start for e in m.entries], day)
                found = m.entries[i - 1] if i else None
            self._entries[key] = found
        return self._entries[key]

    def web_search_price(self, day: date) -> DatedPrice | None:
        starts = [w.start for w in self.web_search]
        i = bisect.bisect_right(starts, day)
        return self.web_search[i - 1] if i else None

    def price(self, row: LedgerRow) -> Priced:
        known = self._priced.get(id(row))
        if known is not None and known[0] is row:
            return known[1]
        priced = self._price(row)
        self._priced[id(row)] = (row, priced)
        return priced

    def _price(self, row: LedgerRow) -> Priced:
        entry = self.entry(row.model, row.date)
        if entry is None:
            where = "" if self.model(row.model) else " (no pattern in pricing/ matches it)"
            return Priced(None, f"no price for {row.model} on {row.date}{where}")
        multiplier = _multiplier(entry, row)
        if isinstance(multiplier, str):
            return Priced(None, multiplier)
        rates = entry.rates
        threshold = entry.long_context_threshold
        if entry.long_context and threshold is not None and row.prompt_over >= threshold:
            rates = entry.long_context
        usd = sum(
            (Decimal(getattr(row.tokens, k)) * rates.of(k) for k in TOKEN_COLUMNS), Decimal(0)
        )
        usd = usd * multiplier / MTOK
        if row.web_search:
            search = self.web_search_price(row.date)
            if search is None:
                return Priced(None, f"no web search price on {row.date}")
            usd += Decimal(row.web_search) * search.usd / 1000
        return Priced(usd)


_SHARED: list[PriceBook] = []  # the book of the vault priced last


def book_for(vault: Vault) -> PriceBook:
    """One book per vault object, kept while it is the vault priced: the figures of one
    command price each row once (a book remembers its rows' prices)."""
    if not _SHARED or _SHARED[0].vault is not vault:
        _SHARED[:] = [PriceBook(vault)]
    return _SHARED[0]


def _multiplier(entry: PriceEntry, row: LedgerRow) -> Decimal | str:
    m = Decimal(1)
    if row.speed not in ("standard", "fast", "flex"):  # a tier no price file can name
        return f"no {row.speed}-tier price for {row.model} on {row.date}"
    if row.speed == "fast":
        if entry.fast is None:
            return f"no fast-mode price for {row.model} on {row.date}"
        m *= entry.fast
    if row.speed == "flex":
        if entry.flex is None:
            return f"no flex-tier price for {row.model} on {row.date} (add `flex:` to its entry)"
        m *= entry.flex
    if row.geo:
        geo = dict(entry.geo)
        if row.geo not in geo:
            return f"no price for region {row.geo!r} of {row.model} on {row.date}"
        m *= geo[row.geo]
    return m
