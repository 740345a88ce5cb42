"""`tokenbook estimate`: what work usually costs, a planned bet's estimate, model what-if."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from tokenbook.bet_history import bet_backtest
from tokenbook.bet_history import open_bet_estimates
from tokenbook.bet_history import plan_backtest
from tokenbook.bet_history import session_backtest
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.commands.estimate_learn import hits_evidence
from tokenbook.commands.estimate_learn import learned_json
from tokenbook.commands.estimate_learn import learned_text
from tokenbook.commands.estimate_learn import record
from tokenbook.commands.estimate_learn import to_record
from tokenbook.commands.estimate_text import backtest_json
from tokenbook.commands.estimate_text import backtest_text
from tokenbook.commands.estimate_text import whatif_json
from tokenbook.commands.estimate_text import whatif_text
from tokenbook.commands.estimate_view import estimate_json
from tokenbook.commands.estimate_view import line
from tokenbook.commands.estimate_view import notes
from tokenbook.commands.estimate_view import plan_json
from tokenbook.commands.estimate_view import plan_total
from tokenbook.commands.estimate_view import suggest
from tokenbook.commands.estimate_view import suggest_text
from tokenbook.dashboard import latest_day
from tokenbook.dashboard import pick_cycle
from tokenbook.errors import TokenbookError
from tokenbook.estimates import MIN_HISTORY
from tokenbook.estimates import estimate_like
from tokenbook.estimates import estimate_plan
from tokenbook.estimates import summary
from tokenbook.model import Cycle
from tokenbook.model import EstimateRecord
from tokenbook.model import Vault
from tokenbook.plans import local_day
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.whatif import Repriced
from tokenbook.whatif import reprice
from tokenbook.whatif import resolve_model

INTERVAL = (
    "80% split-conformal prediction interval: order statistics floor(0.1(n+1)) and "
    "ceil(0.9(n+1)) of the sample; with fewer than 9 samples their range, which claims "
    "(n-1)/(n+1)"
)


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
    p.add_argument(
        "--record",
        metavar="BET",
        help="write the estimate (of --plan, else --like, else the learned one of BET) into "
        "the bet's file as `estimate:`",
    )
    p.add_argument(
        "--on", type=parse_day, metavar="DATE", help="with --record: the day (default: today)"
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


def _plan(
    vault: Vault, ledgers: LedgerSet, text: str, cycle: Cycle | None
) -> tuple[dict[str, Any], list[str], EstimateRecord]:
    plan = estimate_plan(vault, ledgers, text)
    suggested = suggest(plan.usd[2], cycle, plan.floor)
    tested = plan_backtest(vault, ledgers)
    out = plan_json(plan) | {"suggested_appetite": suggested, "backtest": backtest_json(tested)}
    lines = ["", f"plan {text!r}:"] + [f"  {n} x {line(e)}" for n, e in plan.terms]
    lines += ["  " + plan_total(plan), "  " + suggest_text(suggested)]
    lines.append("  " + backtest_text(tested, "done bets with earlier sessions of their kind"))
    terms = ", ".join(f"{n} x {e.name} (n={e.sample_size})" for n, e in plan.terms)
    floor = "at least: part of the usage has no price; " if plan.floor else ""
    evidence = f"plan {text!r}: {terms}; {floor}{hits_evidence(tested.hits)}"
    m, lo, hi = plan.usd
    return out, lines, to_record(m, (lo, hi), date.min, evidence)


def _like(
    vault: Vault, ledgers: LedgerSet, tag: str, cycle: Cycle | None
) -> tuple[dict[str, Any], list[str], EstimateRecord | None]:
    like = estimate_like(vault, ledgers, tag)
    out = estimate_json(like)
    lines = ["", line(like)]
    if not like.usd:
        return out, lines, None
    out["suggested_appetite"] = suggest(like.usd[2], cycle, like.floor)
    lines.append("  " + suggest_text(out["suggested_appetite"]))
    evidence = f"{like.name} (n={like.sample_size}); {hits_evidence(like.hits)}"
    m, lo, hi = like.usd
    return out, lines, to_record(m, (lo, hi), date.min, evidence)


def _learned(
    vault: Vault, ledgers: LedgerSet
) -> tuple[dict[str, Any], list[str], dict[str, EstimateRecord]]:
    found = open_bet_estimates(vault, ledgers)
    tested = bet_backtest(vault, ledgers)
    out = {
        "bets": {b: learned_json(p, tested.hits) for b, p in found.items()},
        "backtest": backtest_json(tested),
    }
    records = {}
    for bet_id, p in found.items():
        if p is not None:
            i = p.interval
            evidence = f"{p.basis}; {hits_evidence(tested.hits)}"
            span = (i.low, i.high) if i else None
            records[bet_id] = to_record(p.usd, span, date.min, evidence)
    return out, learned_text(found, tested), records


def _today(args: argparse.Namespace, vault: Vault) -> date:
    on: date | None = args.on
    return on or local_day(datetime.now(UTC), vault.settings.timezone)


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    if args.bet and not args.as_model:
        raise TokenbookError("--bet goes with --as-model MODEL")
    if args.on and not args.record:
        raise TokenbookError("--on goes with --record BET")
    cycle = pick_cycle(vault, latest_day(ledgers))
    out: dict[str, Any] = {"interval": INTERVAL}
    text: list[str] = [f"interval: {INTERVAL}"]
    estimates = summary(vault, ledgers)
    out["estimates"] = [estimate_json(e) for e in estimates]
    text += [line(e) for e in estimates]
    noted = notes(estimates)
    chosen: EstimateRecord | None = None
    if args.plan:
        out["plan"], lines, chosen = _plan(vault, ledgers, args.plan, cycle)
        text += lines
    if args.like:
        out["like"], lines, like = _like(vault, ledgers, args.like, cycle)
        text += lines
        chosen = chosen or like
        noted = notes([*estimates, estimate_like(vault, ledgers, args.like)])
    out["learned"], lines, learned = _learned(vault, ledgers)
    text += ["", *lines] if lines else []
    b = session_backtest(vault, ledgers)
    out["backtest"] = backtest_json(b)
    text += ["", backtest_text(b, f"{MIN_HISTORY + 1} sessions")]
    if args.as_model:
        repriced, scope = _whatif(vault, ledgers, args.as_model, args.bet)
        out["what_if"] = whatif_json(repriced, scope)
        text += ["", *whatif_text(repriced, scope)]
    text += ["", *noted] if noted else []
    if args.record:
        chosen = chosen or learned.get(args.record)
        if chosen is None:
            raise TokenbookError(
                f"--record {args.record}: nothing to record; give --plan or --like, or wait "
                "until the bet has a learned estimate (it needs done bets with priced usage)"
            )
        done = record(vault, args.record, replace(chosen, on=_today(args, vault)))
        out["recorded"] = {"bet": args.record, "line": done.split(": ", 1)[1]}
        text += ["", done]
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else "\n".join(text))
    return 0
