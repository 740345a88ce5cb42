"""Estimates on record: written into a bet file, then held against what the bet used.

`record_estimate` writes `estimate: {usd, low, high, on, evidence}` into the bet's frontmatter,
every other byte of the file unchanged. `estimates_table` sets each recorded estimate beside the
bet's usage (the actual, once the bet is `done`), for the dashboard's "estimate vs actual" table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tokenbook.docs import read_document
from tokenbook.errors import Problem
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
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


def estimate_line(e: EstimateRecord) -> str:
    """The frontmatter line: `estimate: {usd: 12.5, low: 6, high: 20, on: 2026-11-03, ...}`."""
    parts = [f"usd: {usd_text(e.usd)}"]
    parts += [f"low: {usd_text(e.low)}"] if e.low is not None else []
    parts += [f"high: {usd_text(e.high)}"] if e.high is not None else []
    parts += [f"on: {e.on.isoformat()}"] if e.on is not None else []
    parts += [f"evidence: {json.dumps(e.evidence, ensure_ascii=False)}"] if e.evidence else []
    return "estimate: {" + ", ".join(parts) + "}"


def with_estimate(path: Path, e: EstimateRecord) -> str:
    """The bet file's text with its `estimate:` set to `e` (replaced, or added as the last
    frontmatter line); every other line byte-identical, its line endings kept."""
    doc = read_document(path, str(path))
    if isinstance(doc, Problem):
        raise VaultError([doc])
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    lines = raw.split(newline)
    fence = doc.body_line - 1  # index of the closing `---`
    if "estimate" not in doc.meta:
        lines.insert(fence, estimate_line(e))
    else:
        first = doc.line("estimate") - 1
        last = first + 1
        while last < fence and lines[last][:1] in (" ", "\t"):
            last += 1  # the indented lines of a block mapping under the key
        lines[first:last] = [estimate_line(e)]
    text = newline.join(lines)
    _check(text, path, e)
    return text


def _check(text: str, path: Path, e: EstimateRecord) -> None:
    """The edited frontmatter must read back as the estimate written."""
    front = text.split("---", 2)[1] if text.lstrip("\ufeff").startswith("---") else ""
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError:
        meta = None
    written = meta.get("estimate") if isinstance(meta, dict) else None
    if not isinstance(written, dict) or Decimal(str(written.get("usd"))) != e.usd:
        raise TokenbookError(
            f"{path}:1: cannot write `estimate:` into this file's frontmatter automatically; "
            f"add the line `{estimate_line(e)}` by hand"
        )


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
