"""`tokenbook estimate`: what work usually costs, a planned bet's estimate, model what-if."""

from __future__ import annotations

import argparse
import json
import math
from decimal import Decimal
from typing import Any

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.dashboard import latest_day
from tokenbook.dashboard import pick_cycle
from tokenbook.errors import TokenbookError
from tokenbook.estimates import MIN_HISTORY
from tokenbook.estimates import Backtest
from tokenbook.estimates import Estimate
from tokenbook.estimates import PlanEstimate
from tokenbook.estimates import backtest
from tokenbook.estimates import estimate_like
from tokenbook.estimates import estimate_plan
from tokenbook.estimates import summary
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.render import compact
from tokenbook.render import usd
from tokenbook.reports import usd_text
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


def _money(value: Decimal | None) -> str | None:
    return usd_text(value.quantize(Decimal("0.000001"))) if value is not None else None


def estimate_json(e: Estimate) -> dict[str, Any]:
    quantiles = [LOW_Q, HIGH_Q]
    return {
        "name": e.name,
        "unit": e.unit,
        "sample_size": e.sample_size,
        "median": _money(e.usd[0]) if e.usd else None,
        "interval": {
            "low": _money(e.usd[1]) if e.usd else None,
            "high": _money(e.usd[2]) if e.usd else None,
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
    }


def _line(e: Estimate) -> str:
    if not e.usd or not e.tokens:
        return f"{e.name:<20} n={e.sample_size:<4} no history yet"
    m, lo, hi = e.usd
    few = " (few samples)" if e.sample_size < MIN_HISTORY else ""
    return (
        f"{e.name:<20} n={e.sample_size:<4} {usd(m):>7} ({usd(lo)} to {usd(hi)}) per {e.unit}, "
        f"{compact(e.tokens[0])} tok ({compact(e.tokens[1])} to {compact(e.tokens[2])}){few}"
    )


def _suggest(high: Decimal, cycle: Cycle | None) -> dict[str, Any]:
    """The appetite to ask for: the high end of the interval, rounded up to whole dollars."""
    amount = Decimal(math.ceil(high))
    share = amount * 100 / cycle.budget_usd if cycle and cycle.budget_usd else None
    return {
        "usd": _money(amount),
        "percent_of_cycle": float(share.quantize(Decimal("0.1"))) if share is not None else None,
        "cycle": cycle.id if cycle and share is not None else None,
    }


def _suggest_text(s: dict[str, Any]) -> str:
    share = f" ({s['percent_of_cycle']}% of cycle {s['cycle']})" if s["cycle"] else ""
    return f"suggested appetite: appetite_usd: {s['usd']}{share} (the interval's high end)"


def plan_json(p: PlanEstimate) -> dict[str, Any]:
    return {
        "terms": [{"count": n, **estimate_json(e)} for n, e in p.terms],
        "median": _money(p.usd[0]),
        "interval": {
            "low": _money(p.usd[1]),
            "high": _money(p.usd[2]),
            "quantiles": [LOW_Q, HIGH_Q],
        },
        "tokens": {"median": p.tokens[0], "interval": {"low": p.tokens[1], "high": p.tokens[2]}},
        "sample_size": min(e.sample_size for _, e in p.terms),
    }


def whatif_json(r: Repriced, scope: str) -> dict[str, Any]:
    terms = [t for t in r.terms.values() if t.tokens]
    return {
        "scope": scope,
        "model": r.model.name,
        "rows": r.rows,
        "actual_usd": _money(r.actual_usd),
        "actual_unpriced": sorted(r.actual_unpriced),
        "as_model_usd": _money(r.usd),
        "unpriced": sorted(r.unpriced),
        "saving_usd": _money(r.saving),
        "terms": [
            {
                "kind": t.kind,
                "count": t.tokens,
                "usd_per_million": _money(t.rate),
                "usd": _money(t.usd),
            }
            for t in terms
        ],
    }


def _whatif_text(r: Repriced, scope: str) -> list[str]:
    out = [f"{scope} re-priced as {r.model.name} ({r.rows} ledger rows priced both ways):"]
    for t in r.terms.values():
        if not t.tokens:
            continue
        if t.kind == "web_search":
            out.append(
                f"  web searches {t.tokens:>14,} x "
                f"${t.usd * 1000 / t.tokens:,.2f}/1000 = ${t.usd:,.4f}"
            )
        else:
            out.append(f"  {t.kind:<14} {t.tokens:>14,} tok x ${t.rate:,.4f}/M = ${t.usd:,.4f}")
    out.append(f"  total ${r.usd:,.4f} as {r.model.name}; actual ${r.actual_usd:,.4f}")
    change = r.saving
    out.append(f"  {'saving' if change >= 0 else 'extra cost'}: ${abs(change):,.4f}")
    for reason in sorted(r.unpriced):
        out.append(f"  left out (no price as {r.model.name}): {reason}")
    for reason in sorted(r.actual_unpriced):
        out.append(f"  left out (no actual price): {reason}")
    return out


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


def _backtest_json(b: Backtest) -> dict[str, Any]:
    return {
        "what": f"each session predicted from all earlier sessions (at least {MIN_HISTORY})",
        "predictions": b.predictions,
        "inside_interval": b.inside,
        "coverage_percent": float(b.coverage.quantize(Decimal("0.1")))
        if b.coverage is not None
        else None,
        "median_ape_percent": float(b.median_ape.quantize(Decimal("0.1")))
        if b.median_ape is not None
        else None,
    }


def _backtest_text(b: Backtest) -> str:
    if not b.predictions:
        return f"backtest: not enough history yet (needs {MIN_HISTORY + 1} sessions)"
    ape = f"{b.median_ape:.0f}%" if b.median_ape is not None else "—"
    return (
        f"backtest: {b.inside} of {b.predictions} sessions ({b.coverage:.0f}%) fell inside the\n"
        f"  interval predicted from all sessions before them (at least {MIN_HISTORY});\n"
        f"  median absolute percentage error of the predicted median: {ape}"
    )


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
    if args.plan:
        plan = estimate_plan(vault, ledgers, args.plan)
        out["plan"] = plan_json(plan) | {"suggested_appetite": _suggest(plan.usd[2], cycle)}
        text += ["", f"plan {args.plan!r}:"] + [f"  {n} x {_line(e)}" for n, e in plan.terms]
        m, lo, hi = plan.usd
        text.append(f"  total {usd(m)} ({usd(lo)} to {usd(hi)}; the terms' intervals added)")
        text.append("  " + _suggest_text(out["plan"]["suggested_appetite"]))
    if args.like:
        like = estimate_like(vault, ledgers, args.like)
        out["like"] = estimate_json(like)
        text += ["", _line(like)]
        if like.usd:
            out["like"]["suggested_appetite"] = _suggest(like.usd[2], cycle)
            text.append("  " + _suggest_text(out["like"]["suggested_appetite"]))
    b = backtest(vault, ledgers)
    out["backtest"] = _backtest_json(b)
    text += ["", _backtest_text(b)]
    if args.as_model:
        repriced, scope = _whatif(vault, ledgers, args.as_model, args.bet)
        out["what_if"] = whatif_json(repriced, scope)
        text += ["", *_whatif_text(repriced, scope)]
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else "\n".join(text))
    return 0
