"""Dated prices from an offline price database, in the vault's price terms.

The database is pydantic's `genai-prices` (optional: `pip install 'tokenbook[prices]'`), which
ships its data inside the package: nothing is fetched. Its prices become `PriceEntry`s:
- each dated price (and each dated service-tier variant) starts an entry; the first price,
  which has no start date in the database, starts on `FIRST_DAY`;
- a missing cache-read price is the input price (the database bills cached tokens as input
  then); a missing cache-write price is the input price (OpenAI and Google charge no separate
  write); a missing 1-hour write price is the 5-minute one;
- a tier that prices the whole request above N prompt tokens becomes `long_context` when the
  ledgers record that band (`PROMPT_BANDS`), else it is reported as not modelled;
- the `priority`/`fast` service tier becomes `fast`, and the `flex` tier `flex`: a multiplier,
  when the tier scales every rate by the same factor; else it is reported as not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from tokenbook.errors import TokenbookError
from tokenbook.model import PROMPT_BANDS
from tokenbook.model import PriceEntry
from tokenbook.model import Rates

FIRST_DAY = date(2020, 1, 1)  # before any of these models existed
FAST_TIERS = ("priority", "fast")
_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write_5m": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
}


@dataclass(frozen=True, slots=True)
class Found:
    """One model's prices from the database: where it files them, and what could not be
    expressed in the vault's price terms."""

    provider: str  # the database's id: the price file is pricing/<provider>.md
    provider_name: str
    name: str
    entries: tuple[PriceEntry, ...]
    notes: tuple[str, ...] = ()


class GenaiPrices:
    """The `genai-prices` package's bundled snapshot (no network)."""

    def __init__(self) -> None:
        try:
            import genai_prices  # optional: the `prices` extra
            from genai_prices import data_snapshot
        except ImportError:
            raise TokenbookError(
                "the offline price database is not installed; "
                "run `pip install 'tokenbook[prices]'` (it adds genai-prices)"
            ) from None
        self.label = f"genai-prices {genai_prices.__version__}"
        self._snapshot = data_snapshot.get_snapshot()

    def lookup(self, model: str) -> Found | None:
        try:
            provider, info = self._snapshot.find_provider_model(model, None, None, None)
        except LookupError:
            return None
        notes: list[str] = []
        entries = _entries(info, model, notes)
        if not entries:
            return None
        return Found(provider.id, provider.name, info.name or info.id, tuple(entries), tuple(notes))


def _starts(info: Any) -> list[date]:
    days = {FIRST_DAY}
    for price in info.prices if isinstance(info.prices, list) else ():
        start = getattr(price.constraint, "start_date", None)
        if isinstance(start, date):
            days.add(start)
    for variant in info.price_variants or ():
        start = getattr(variant.constraint, "start_date", None)
        if isinstance(start, date) and variant.when.get("service_tier") in FAST_TIERS:
            days.add(start)
    return sorted(days)


def _entries(info: Any, model: str, notes: list[str]) -> list[PriceEntry]:
    out: list[PriceEntry] = []
    for day in _starts(info):
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        entry = _entry(day, info.get_prices(at), notes, model)
        if entry is None:
            return []
        fast = _tier_factor(info, at, entry, FAST_TIERS, f"{model}: its priority tier", notes)
        flex = _tier_factor(info, at, entry, ("flex",), f"{model}: its flex tier", notes)
        if fast is not None or flex is not None:
            entry = PriceEntry(
                start=day,
                rates=entry.rates,
                long_context=entry.long_context,
                long_context_threshold=entry.long_context_threshold,
                fast=fast,
                flex=flex,
            )
        if not out or not _same(out[-1], entry):
            out.append(entry)
    return out


def _same(a: PriceEntry, b: PriceEntry) -> bool:
    return (a.rates, a.long_context, a.long_context_threshold, a.fast, a.flex) == (
        b.rates,
        b.long_context,
        b.long_context_threshold,
        b.fast,
        b.flex,
    )


def _base(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value.base) if hasattr(value, "tiers") else Decimal(value)


def _tier(value: Any) -> tuple[int, Decimal] | None:
    tiers = getattr(value, "tiers", None)
    if not tiers:
        return None
    return int(tiers[0].start), Decimal(tiers[0].price)


def _rates(values: dict[str, Decimal | None]) -> Rates | None:
    inp, out = values["input"], values["output"]
    if inp is None or out is None:
        return None
    w5 = values["cache_write_5m"] if values["cache_write_5m"] is not None else inp
    w1 = values["cache_write_1h"] if values["cache_write_1h"] is not None else w5
    read = values["cache_read"] if values["cache_read"] is not None else inp
    return Rates(input=inp, output=out, cache_write_5m=w5, cache_write_1h=w1, cache_read=read)


def _entry(day: date, price: Any, notes: list[str], model: str) -> PriceEntry | None:
    raw = {kind: getattr(price, key, None) for kind, key in _KEYS.items()}
    rates = _rates({kind: _base(v) for kind, v in raw.items()})
    if rates is None:
        _note(notes, f"{model}: the database has no token input/output price; not imported")
        return None
    tiers = {kind: t for kind, v in raw.items() if (t := _tier(v))}
    threshold = min((t[0] for t in tiers.values()), default=None)
    if threshold is None:
        return PriceEntry(start=day, rates=rates)
    if threshold not in PROMPT_BANDS or len({t[0] for t in tiers.values()}) > 1:
        bands = ", ".join(f"{b:,}" for b in PROMPT_BANDS)
        _note(
            notes,
            f"{model}: the higher rate above {threshold:,} prompt tokens is not modelled "
            f"(ledgers record prompt bands {bands} only); those requests are priced at the "
            "base rate",
        )
        return PriceEntry(start=day, rates=rates)
    high = {kind: tiers[kind][1] if kind in tiers else _base(v) for kind, v in raw.items()}
    return PriceEntry(
        start=day, rates=rates, long_context=_rates(high), long_context_threshold=threshold
    )


def _tier_factor(
    info: Any,
    at: datetime,
    entry: PriceEntry,
    tiers: tuple[str, ...],
    what: str,
    notes: list[str],
) -> Decimal | None:
    """A service tier (priority, flex) as one multiplier of every rate, or None."""
    for tier in tiers:
        price = info.get_prices(at, {"service_tier": tier})
        raw = {kind: _base(getattr(price, key, None)) for kind, key in _KEYS.items()}
        factors = {
            value / entry.rates.of(kind)
            for kind in ("input", "output", "cache_read")
            if (value := raw[kind]) is not None and entry.rates.of(kind)
        }
        if factors == {Decimal(1)} or not factors:
            continue
        if len(factors) == 1:
            return factors.pop().normalize()
        _note(notes, f"{what} does not scale every rate alike; not modelled")
        return None
    return None


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)
