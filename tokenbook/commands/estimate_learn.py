"""`tokenbook estimate`: the learned estimate of each open bet, and `--record BET`."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokenbook.bet_history import Backtest
from tokenbook.commands.estimate_text import backtest_json
from tokenbook.commands.estimate_text import backtest_text
from tokenbook.commands.estimate_text import hits_text
from tokenbook.commands.estimate_text import money
from tokenbook.errors import TokenbookError
from tokenbook.estimate_write import estimate_line
from tokenbook.estimate_write import with_estimate
from tokenbook.fileio import vault_lock
from tokenbook.fileio import write_if_changed
from tokenbook.learn import MIN_BETS
from tokenbook.learn import Hits
from tokenbook.learn import Interval
from tokenbook.learn import Prediction
from tokenbook.model import EstimateRecord
from tokenbook.model import Vault
from tokenbook.money import dollars

CENT = Decimal("0.01")


def _interval_text(i: Interval | None) -> str:
    if i is None:
        return "no interval yet (too few done bets)"
    return f"{dollars(i.low)} to {dollars(i.high)}, claims {i.coverage * 100:.0f}%"


def learned_json(p: Prediction | None, hits: Hits) -> dict[str, Any] | None:
    if p is None:
        return None
    i = p.interval
    return {
        "usd": money(p.usd),
        "interval": None
        if i is None
        else {"low": money(i.low), "high": money(i.high), "coverage": float(i.coverage)},
        "basis": p.basis,
        "from_bets": list(p.peers),
        "backtest": backtest_json(Backtest(what="bets", hits=hits))
        | {"what": "each done bet predicted from the bets done before it started"},
    }


def learned_text(found: dict[str, Prediction | None], backtest: Backtest) -> list[str]:
    """Each open bet's learned total, then how this method fared on past bets."""
    if not found:
        return []
    needs = f"{MIN_BETS + 1} done bets"
    if all(p is None for p in found.values()):
        return [
            f"open bets: no learned estimate yet (needs {MIN_BETS} done bets whose usage is "
            "all priced)",
            backtest_text(backtest, needs),
        ]
    out = ["open bets, learned from the done ones (docs/outcomes.md):"]
    for bet_id, p in found.items():
        if p is None:
            out.append(f"  {bet_id}: no estimate yet (needs {MIN_BETS} done, fully priced bets)")
            continue
        out.append(f"  {bet_id}: {dollars(p.usd)} ({_interval_text(p.interval)})")
        out.append(f"    {p.basis}; {hits_text(backtest.hits)}")
    return [*out, backtest_text(backtest, needs)]


def _cents(value: Decimal | None) -> Decimal | None:
    return value.quantize(CENT, rounding=ROUND_HALF_UP) if value is not None else None


def to_record(
    usd: Decimal, interval: tuple[Decimal, Decimal] | None, on: date, evidence: str
) -> EstimateRecord:
    low, high = interval if interval else (None, None)
    return EstimateRecord(
        usd=_cents(usd) or Decimal(0),
        low=_cents(low),
        high=_cents(high),
        on=on,
        evidence=evidence,
    )


def record(vault: Vault, bet_id: str, estimate: EstimateRecord) -> str:
    """Write the estimate into the bet's file (under the vault lock); the line written."""
    bet = vault.bet(bet_id)
    if bet is None:
        known = ", ".join(b.id for b in vault.bets) or "none yet"
        raise TokenbookError(f"--record: no bet {bet_id!r}; bets: {known}")
    path = Path(bet.path)
    with vault_lock(vault.root):
        write_if_changed(path, with_estimate(path, estimate))
    return f"recorded in {path}: {estimate_line(estimate)}"


def hits_evidence(h: Hits) -> str:
    if not h.predictions:
        return "backtest: not enough history"
    return (
        f"backtest n={h.predictions}: {h.within_percent:.0f}% within ±20%, "
        f"{h.inside_percent:.0f}% inside the interval (claims {h.nominal_percent:.0f}%)"
    )
