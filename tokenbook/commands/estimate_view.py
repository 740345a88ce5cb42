"""`tokenbook estimate`: estimates as JSON and as text lines."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from tokenbook.commands.estimate_text import hits_json
from tokenbook.commands.estimate_text import hits_text
from tokenbook.commands.estimate_text import money
from tokenbook.estimates import MIN_HISTORY
from tokenbook.estimates import Estimate
from tokenbook.estimates import PlanEstimate
from tokenbook.learn import WINDOW
from tokenbook.model import Cycle
from tokenbook.money import amount
from tokenbook.money import unpriced_json
from tokenbook.money import unpriced_note
from tokenbook.render import compact
from tokenbook.stats import HIGH_Q
from tokenbook.stats import LOW_Q


def unpriced_fields(e: Estimate) -> dict[str, Any]:
    """What the USD figures leave out: samples with no price, and unpriced parts of the rest."""
    return {
        "usd_sample_size": e.usd_sample_size,
        "left_out_unpriced": e.left_out,
        "unpriced": e.floor,
        **unpriced_json(e.unpriced_tokens, e.unpriced_models),
    }


def estimate_json(e: Estimate) -> dict[str, Any]:
    quantiles = [LOW_Q, HIGH_Q]
    return {
        "name": e.name,
        "unit": e.unit,
        "sample_size": e.sample_size,
        "figures_from_latest": min(e.sample_size, WINDOW),
        "median": money(e.usd[0]) if e.usd else None,
        "interval": {
            "low": money(e.usd[1]) if e.usd else None,
            "high": money(e.usd[2]) if e.usd else None,
            "quantiles": quantiles,
            "coverage": float(e.coverage) if e.coverage is not None else None,
        },
        "backtest": hits_json(e.hits),
        "tokens": {
            "median": e.tokens[0] if e.tokens else None,
            "interval": {
                "low": e.tokens[1] if e.tokens else None,
                "high": e.tokens[2] if e.tokens else None,
                "quantiles": quantiles,
            },
        },
    } | unpriced_fields(e)


def usd_text_of(e: Estimate) -> str:
    if e.usd is None:
        return f"{'unpriced':>7} (no {e.unit} has a price)"
    m, lo, hi = e.usd
    f = e.floor
    claims = f", claims {e.coverage * 100:.0f}%" if e.coverage is not None else ""
    return f"{amount(m, f):>7} ({amount(lo, f)} to {amount(hi, f)}{claims}) per {e.unit}"


def line(e: Estimate) -> str:
    if not e.tokens:
        return f"{e.name:<20} n={e.sample_size:<4} no history yet"
    few = " (few samples)" if e.sample_size < MIN_HISTORY else ""
    few += f" (from the latest {WINDOW})" if e.sample_size > WINDOW else ""
    left = f"; {e.left_out} unpriced {e.unit}(s) left out of $" if e.left_out and e.usd else ""
    return (
        f"{e.name:<20} n={e.sample_size:<4} {usd_text_of(e)}, "
        f"{compact(e.tokens[0])} tok ({compact(e.tokens[1])} to {compact(e.tokens[2])}){few}{left}"
        f"\n{'':<27}{hits_text(e.hits)}"
    )


def notes(estimates: list[Estimate]) -> list[str]:
    """One line naming the unpriced tokens and models behind figures marked ≥ or left out."""
    tokens = max((e.unpriced_tokens for e in estimates), default=0)
    models = frozenset().union(*(e.unpriced_models for e in estimates))
    out = [unpriced_note(tokens, models)] if models else []
    if any(e.left_out for e in estimates):
        out.append("left out of $: sessions and bets none of whose usage has a price (never $0)")
    return out


def suggest(high: Decimal, cycle: Cycle | None, floor: bool) -> dict[str, Any]:
    """The appetite to ask for: the high end of the interval, rounded up to whole dollars (at
    least that when the interval leaves unpriced usage out)."""
    dollars = Decimal(math.ceil(high))
    share = dollars * 100 / cycle.budget_usd if cycle and cycle.budget_usd else None
    return {
        "usd": money(dollars),
        "percent_of_cycle": float(share.quantize(Decimal("0.1"))) if share is not None else None,
        "cycle": cycle.id if cycle and share is not None else None,
        "unpriced": floor,
    }


def suggest_text(s: dict[str, Any]) -> str:
    share = f" ({s['percent_of_cycle']}% of cycle {s['cycle']})" if s["cycle"] else ""
    floor = "; at least: part of the usage has no price" if s["unpriced"] else ""
    return f"suggested appetite: appetite_usd: {s['usd']}{share} (the interval's high end{floor})"


def plan_json(p: PlanEstimate) -> dict[str, Any]:
    return {
        "terms": [{"count": n, **estimate_json(e)} for n, e in p.terms],
        "median": money(p.usd[0]),
        "interval": {
            "low": money(p.usd[1]),
            "high": money(p.usd[2]),
            "quantiles": [LOW_Q, HIGH_Q],
        },
        "tokens": {"median": p.tokens[0], "interval": {"low": p.tokens[1], "high": p.tokens[2]}},
        "sample_size": min(e.sample_size for _, e in p.terms),
        "unpriced": p.floor,
        "unpriced_kinds": p.unpriced_kinds,
        "unpriced_models": sorted(frozenset().union(*(e.unpriced_models for _, e in p.terms))),
    }


def plan_total(p: PlanEstimate) -> str:
    m, lo, hi = p.usd
    f = p.floor
    missing = (
        f"; no price for any past session of {', '.join(p.unpriced_kinds)}"
        if p.unpriced_kinds
        else ""
    )
    return (
        f"total {amount(m, f)} ({amount(lo, f)} to {amount(hi, f)}; "
        f"the terms' intervals added{missing})"
    )
