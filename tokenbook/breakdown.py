"""Labelled totals for the dashboard's breakdown tables: by model, project, agent, session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import Placed


@dataclass(slots=True)
class Line:
    """One labelled total in a breakdown table."""

    label: str
    usage: Usage = field(default_factory=Usage)
    extra: str = ""


def breakdown(placed: list[Placed], book: PriceBook, label: Callable[[Placed], str]) -> list[Line]:
    """Totals per label, the most expensive first (then the most tokens, then by label)."""
    lines: dict[str, Line] = {}
    for p in placed:
        lines.setdefault(label(p), Line(label(p))).usage.add(p.row, book)
    return sorted(
        lines.values(), key=lambda ln: (-(ln.usage.priced_usd), -ln.usage.tokens.total, ln.label)
    )


def top_sessions(placed: list[Placed], book: PriceBook, limit: int = 10) -> list[Line]:
    """The `limit` most expensive sessions; `extra` names the ledgers they are in."""
    lines = breakdown(placed, book, lambda p: p.row.session)
    bets: dict[str, set[str]] = {}
    for p in placed:
        bets.setdefault(p.row.session, set()).add(p.ledger)
    for line in lines:
        line.extra = ", ".join(sorted(bets[line.label]))
    return lines[:limit]
