"""What usage costs: the price files (`pricing/*.md`: each model's dated rates, web search's
dated price) and the plan files (`plans/*.md`: a subscription's price and usage windows)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from tokenbook import fields as f
from tokenbook.errors import Problem
from tokenbook.fields import Fields
from tokenbook.model import PRICE_KINDS
from tokenbook.model import PROMPT_BANDS
from tokenbook.model import DatedPrice
from tokenbook.model import ModelPrice
from tokenbook.model import Plan
from tokenbook.model import PlanWindow
from tokenbook.model import PriceEntry
from tokenbook.model import Rates

if TYPE_CHECKING:
    from tokenbook.docs import Document


def _parse_rates(r: Fields) -> Rates | None:
    values = {kind: r.get(kind, f.money, required=True) for kind in PRICE_KINDS}
    if any(v is None for v in values.values()):
        return None
    return Rates(**values)  # type: ignore[arg-type]


def parse_pricing(
    doc: Document, label: str, problems: list[Problem]
) -> tuple[list[ModelPrice], list[DatedPrice]]:
    r = Fields(doc, label, problems)
    r.get("provider", f.text)
    web = []
    for w in r.items("web_search"):
        start = w.get("from", f.day, required=True)
        usd = w.get("usd_per_1000", f.money, required=True)
        w.close()
        if start is not None and usd is not None:
            web.append(DatedPrice(start=start, usd=usd))
    models = [m for m in (_parse_model(m, label) for m in r.items("models")) if m]
    r.close(f.OBSIDIAN_KEYS)
    return models, web


def _parse_model(r: Fields, label: str) -> ModelPrice | None:
    patterns = r.get("match", f.list_of(f.text), required=True)
    name = r.get("name", f.text)
    entries = [e for e in (_parse_entry(p) for p in r.items("prices")) if e]
    r.close()
    if not patterns:
        return None
    if not entries:
        if not r.data.get("prices"):
            r.problem(None, "no `prices:` entries; add at least one with `from:` and the rates")
        return None
    starts = [e.start for e in entries]
    twice = sorted({s for s in starts if starts.count(s) > 1})
    if twice:
        r.problem("prices", f"two price entries start on {twice[0]}; merge them into one")
    return ModelPrice(
        patterns=patterns,
        name=name or patterns[0],
        entries=tuple(sorted(entries, key=lambda e: e.start)),
        path=label,
        line=r.doc.line(*r.at),
    )


def _parse_entry(r: Fields) -> PriceEntry | None:
    start = r.get("from", f.day, required=True)
    rates = _parse_rates(r)
    fast = r.get("fast", f.money)
    flex = r.get("flex", f.money)
    geo = r.get("geo", _multipliers)
    long_context = threshold = None
    r.used.add("long_context")
    if "long_context" in r.data:
        lc = r.sub("long_context")
        threshold = lc.get("threshold", _band, required=True)
        long_context = _parse_rates(lc)
        lc.close()
    r.close()
    if start is None or rates is None:
        return None
    return PriceEntry(
        start=start,
        rates=rates,
        long_context=long_context,
        long_context_threshold=threshold,
        fast=fast,
        flex=flex,
        geo=geo or (),
    )


def _band(value: Any) -> int:
    n = f.count(value)
    if n not in PROMPT_BANDS:
        *first, last = (str(b) for b in PROMPT_BANDS)
        bands = f"{', '.join(first)} or {last}"
        raise f.Invalid(
            f"must be {bands} (ledgers only record whether a prompt went over these), got {n}"
        )
    return n


def _multipliers(value: Any) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise f.Invalid("expected a mapping such as `{us: 1.1}`")
    return tuple(sorted((str(k).lower(), f.money(v)) for k, v in value.items()))


def parse_plan(doc: Document, label: str, problems: list[Problem]) -> Plan | None:
    r = Fields(doc, label, problems)
    name = r.get("name", f.text)
    price = r.get("price_usd_month", f.money)
    windows = []
    for w in r.items("windows"):
        wname = w.get("name", f.text, required=True)
        hours = w.get("hours", f.at_most(366 * 24, "hours (a year)"), required=True)
        limit_tokens = w.get("limit_tokens", f.count)
        limit_usd = w.get("limit_usd", f.money)
        resets = w.get("resets", f.reset_anchor)
        w.close()
        if wname and hours:
            windows.append(
                PlanWindow(
                    name=wname,
                    hours=hours,
                    limit_tokens=limit_tokens,
                    limit_usd=limit_usd,
                    resets=resets,
                )
            )
    r.close(f.OBSIDIAN_KEYS)
    return Plan(
        id=doc.path.stem,
        name=name or doc.path.stem,
        windows=tuple(windows),
        price_usd_month=price,
        path=label,
    )
