"""`tokenbook estimate`: what work usually costs, a planned bet's estimate, model what-if."""

from __future__ import annotations

import argparse
import json
import math
from decimal import Decimal
from typing import Any

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.commands.estimate_text import backtest_json
from tokenbook.commands.estimate_text import backtest_text
from tokenbook.commands.estimate_text import money
from tokenbook.commands.estimate_text import whatif_json
from tokenbook.commands.estimate_text import whatif_text
from tokenbook.dashboard import latest_day
from tokenbook.dashboard import pick_cycle
from tokenbook.errors import TokenbookError
from tokenbook.estimates import MIN_HISTORY
from tokenbook.estimates import Estimate
from tokenbook.estimates import PlanEstimate
from tokenbook.estimates import backtest
from tokenbook.estimates import estimate_like
from tokenbook.estimates import estimate_plan
from tokenbook.estimates import summary
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.money import amount
from tokenbook.money import unpriced_json
from tokenbook.money import unpriced_note
from tokenbook.render import compact
from tokenbook.stats import HIGH_Q
from tokenbook.stats import LOW_Q
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.whatif import Repriced
from tokenbook.whatif import reprice
from tokenbook.whatif import resolve_model

INTERVAL = "10th-90th percentile of the sample (linear interpolation)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--plan",
        metavar="TEXT",
        help='estimate a planned bet, e.g. "3 feature, 1 review" '
        "(N sessions of each kind: a bet tag, or an agent type)",
    )
    p.add_argument("--like", metavar="TAG", help="estimate a new bet from past bets with this tag")
    p.add_argument("--as-model", metavar="MODEL", help="re-price actual usage under MODEL")
    p.add_argument("--bet", metavar="BET", help="with --as-model: this bet (default: the cycle)")


def _unpriced_json(e: Estimate) -> dict[str, Any]:
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
        "median": money(e.usd[0]) if e.usd else None,
        "interval": {
            "low": money(e.usd[1]) if e.usd else None,
            "high": money(e.usd[2]) if e.usd else None,
            "quantiles": quantiles,
        },
        "tokens": {
            "median": e.tokens[0] if e.tokens else None,
            "interval": {
                "low": e.tokens[1] if e.tokens else None,
                "high": e.tokens[2] if e.tokens else None,
                "quantiles": quantiles,
            },
        },
    } | _unpriced_json(e)


def _usd_text(e: Estimate) -> str:
    if e.usd is None:
        return f"{'unpriced':>7} (no {e.unit} has a price)"
    m, lo, hi = e.usd
    f = e.floor
    return f"{amount(m, f):>7} ({amount(lo, f)} to {amount(hi, f)}) per {e.unit}"


def _line(e: Estimate) -> str:
    if not e.tokens:
        return f"{e.name:<20} n={e.sample_size:<4} no history yet"
    few = " (few samples)" if e.sample_size < MIN_HISTORY else ""
    left = f"; {e.left_out} unpriced {e.unit}(s) left out of $" if e.left_out and e.usd else ""
    return (
        f"{e.name:<20} n={e.sample_size:<4} {_usd_text(e)}, "
        f"{compact(e.tokens[0])} tok ({compact(e.tokens[1])} to {compact(e.tokens[2])}){few}{left}"
    )


def _notes(estimates: list[Estimate]) -> list[str]:
    """One line naming the unpriced tokens and models behind figures marked ≥ or left out."""
    tokens = max((e.unpriced_tokens for e in estimates), default=0)
    models = frozenset().union(*(e.unpriced_models for e in estimates))
    out = [unpriced_note(tokens, models)] if models else []
    if any(e.left_out for e in estimates):
        out.append("left out of $: sessions and bets none of whose usage has a price (never $0)")
    return out


def _suggest(high: Decimal, cycle: Cycle | None, floor: bool) -> dict[str, Any]:
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


def _suggest_text(s: dict[str, Any]) -> str:
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


def _plan_total(p: PlanEstimate) -> str:
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


def _whatif(vault: Vault, ledgers: LedgerSet, model: str, bet: str | None) -> tuple[Repriced, str]:
    target = resolve_model(vault, model)
    if target is None:
        raise TokenbookError(f"--as-model: no model in pricing/ matches {model!r}")
    if bet is not None:
        if vault.bet(bet) is None and bet not in ledgers.files:
            raise TokenbookError(
                f"--bet: no bet {bet!r}; bets: {', '.join(b.id for b in vault.bets)}"
            )
        rows = [p.row for p in ledgers.rows.values() if p.ledger == bet]
        return reprice(vault, rows, target), f"bet {bet}"
    cycle = pick_cycle(vault, latest_day(ledgers))
    rows = [p.row for p in ledgers.rows.values() if cycle is None or cycle.contains(p.row.date)]
    return reprice(vault, rows, target), f"cycle {cycle.id}" if cycle else "all usage"


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    if args.bet and not args.as_model:
        raise TokenbookError("--bet goes with --as-model MODEL")
    cycle = pick_cycle(vault, latest_day(ledgers))
    out: dict[str, Any] = {"interval": INTERVAL}
    text: list[str] = [f"interval: {INTERVAL}"]
    estimates = summary(vault, ledgers)
    out["estimates"] = [estimate_json(e) for e in estimates]
    text += [_line(e) for e in estimates]
    notes = _notes(estimates)
    if args.plan:
        plan = estimate_plan(vault, ledgers, args.plan)
        suggested = _suggest(plan.usd[2], cycle, plan.floor)
        out["plan"] = plan_json(plan) | {"suggested_appetite": suggested}
        text += ["", f"plan {args.plan!r}:"] + [f"  {n} x {_line(e)}" for n, e in plan.terms]
        text.append("  " + _plan_total(plan))
        text.append("  " + _suggest_text(suggested))
    if args.like:
        like = estimate_like(vault, ledgers, args.like)
        out["like"] = estimate_json(like)
        text += ["", _line(like)]
        if like.usd:
            out["like"]["suggested_appetite"] = _suggest(like.usd[2], cycle, like.floor)
            text.append("  " + _suggest_text(out["like"]["suggested_appetite"]))
        notes = _notes([*estimates, like])
    b = backtest(vault, ledgers)
    out["backtest"] = backtest_json(b)
    text += ["", backtest_text(b)]
    if args.as_model:
        repriced, scope = _whatif(vault, ledgers, args.as_model, args.bet)
        out["what_if"] = whatif_json(repriced, scope)
        text += ["", *whatif_text(repriced, scope)]
    text += ["", *notes] if notes else []
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else "\n".join(text))
    return 0
