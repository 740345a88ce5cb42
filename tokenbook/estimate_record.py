"""Estimates on record (`estimate_write.py` writes them into a bet file), held against what
the bet used: `estimates_table` sets each recorded estimate beside the bet's usage (the actual,
once the bet is `done`), for the dashboard's "estimate vs actual" table and `status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokenbook.model import Bet
from tokenbook.model import EstimateRecord
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.money import amount
from tokenbook.money import dollars
from tokenbook.money import unpriced
from tokenbook.pricing import book_for
from tokenbook.reports import usd_text
from tokenbook.store import LedgerSet

WITHIN = Decimal(20)  # percent: the actual within ±20% of the estimate is a hit


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateRow:
    """A recorded estimate beside what the bet used (all of it, in every cycle)."""

    bet: Bet
    estimate: EstimateRecord
    used: Money

    @property
    def done(self) -> bool:
        return self.bet.status == "done"

    @property
    def percent(self) -> Decimal | None:
        """Usage as a share of the estimate (of its priced part: a floor when partly unpriced)."""
        return self.used.usd * 100 / self.estimate.usd if self.estimate.usd else None

    @property
    def error(self) -> Decimal | None:
        """Of a done bet: how far the actual fell from the estimate, in percent of the estimate
        (+: it cost more). None while the bet runs, or when part of its usage has no price."""
        if not self.done or not self.used.complete or not self.estimate.usd:
            return None
        return (self.used.usd - self.estimate.usd) * 100 / self.estimate.usd

    @property
    def within(self) -> bool | None:
        return None if self.error is None else abs(self.error) <= WITHIN

    @property
    def inside(self) -> bool | None:
        """Of a done bet: the actual fell inside the stated interval."""
        e = self.estimate
        if self.error is None or e.low is None or e.high is None:
            return None
        return e.low <= self.used.usd <= e.high


def bet_money(vault: Vault, ledgers: LedgerSet, bet: str) -> Money:
    book = book_for(vault)
    out = Money()
    for row in ledgers.by_ledger().get(bet, []):
        usd = book.price(row).usd
        out += unpriced(row.tokens.total, row.model) if usd is None else Money(usd=usd)
    return out


def estimates_table(vault: Vault, ledgers: LedgerSet) -> list[EstimateRow]:
    """Every bet with an estimate on record, by bet id."""
    return [
        EstimateRow(bet=b, estimate=b.estimate, used=bet_money(vault, ledgers, b.id))
        for b in vault.bets
        if b.estimate is not None
    ]


def _interval(e: EstimateRecord) -> str:
    if e.low is None or e.high is None:
        return "—"
    return f"{dollars(e.low)} to {dollars(e.high)}"


def _yes(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "no"


def estimates_markdown(rows: list[EstimateRow]) -> list[str]:
    """The dashboard's "estimate vs actual" table, and how the done bets' estimates fared."""
    if not rows:
        return []
    heads = ["bet", "status", "estimate", "interval", "on", "used", "of estimate", "error"]
    heads += ["±20%", "in interval"]
    out = ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for r in rows:
        pct = "—" if r.percent is None else f"{'≥' if not r.used.complete else ''}{r.percent:.0f}%"
        err = "—" if r.error is None else f"{r.error:+.0f}%"
        on = r.estimate.on.isoformat() if r.estimate.on else "—"
        out.append(
            f"| [[{r.bet.id}]] | {r.bet.status} | {dollars(r.estimate.usd)} | "
            f"{_interval(r.estimate)} | {on} | {amount(r.used.usd, not r.used.complete)} | "
            f"{pct} | {err} | {_yes(r.within)} | {_yes(r.inside)} |"
        )
    return [*out, "", fared(rows)]


def fared(rows: list[EstimateRow]) -> str:
    judged = [r for r in rows if r.within is not None]
    if not judged:
        return "No done bet with an estimate on record and a fully priced actual yet."
    within = sum(bool(r.within) for r in judged)
    stated = [r for r in judged if r.inside is not None]
    inside = sum(bool(r.inside) for r in stated)
    share = f"{inside} of {len(stated)} inside their stated interval" if stated else ""
    return (
        f"Done bets with an estimate: {len(judged)}; actual within ±20% of it: {within} "
        f"({within * 100 // len(judged)}%)" + (f"; {share}." if share else ".")
    )


def estimate_status(r: EstimateRow, threshold: int) -> str:
    """One line for `status`: the estimate, the usage against it, and the actual once done."""
    e = r.estimate
    on = f" on {e.on.isoformat()}" if e.on else ""
    head = f"estimate {dollars(e.usd)} ({_interval(e)}){on}"
    if r.percent is None:
        return head
    floor = "" if r.used.complete else "≥"
    used = f"{amount(r.used.usd, not r.used.complete)} = {floor}{r.percent:.0f}%"
    if r.error is not None:
        hit = "within ±20%" if r.within else "outside ±20%"
        return f"{head}; actual {used} ({r.error:+.0f}%, {hit})"
    past = f", past its {threshold}% alert" if r.percent >= threshold else ""
    return f"{head}; used so far {used}{past}"


def estimate_json(r: EstimateRow, threshold: int) -> dict[str, Any]:
    e = r.estimate
    return {
        "usd": usd_text(e.usd),
        "low": usd_text(e.low),
        "high": usd_text(e.high),
        "on": e.on.isoformat() if e.on else None,
        "evidence": e.evidence,
        "alert_percent": threshold,
        "used_percent": float(r.percent.quantize(Decimal("0.1")))
        if r.percent is not None
        else None,
        "used_unpriced": not r.used.complete,
        "actual_usd": usd_text(r.used.usd) if r.done and r.used.complete else None,
        "error_percent": _one(r.error),
        "within_20": r.within,
        "inside_interval": r.inside,
    }


def _one(value: Decimal | None) -> float | None:
    return float(value.quantize(Decimal("0.1"))) if value is not None else None
