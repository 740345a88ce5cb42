"""A bet's sessions against its session budget, from the ledgers (what `tokenbook status`
shows): how many sessions of the cycle passed the warning and the hard limit, and the largest.

The budget is the bet's `session_budget:`, else its cycle's; the guard mode is the bet's
`guard:`, else the cycle's, else the settings'. A session's share is the larger of its dollar
and token shares, as the guard computes it before each prompt (docs/guards.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokenbook.ledger import LedgerRow
from tokenbook.model import Bet
from tokenbook.model import Guard
from tokenbook.model import SessionBudget
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage


def budget_of(vault: Vault, bet: Bet) -> tuple[SessionBudget | None, Guard]:
    cycle = vault.cycle(bet.cycle)
    budget = bet.session_budget or (cycle.session_budget if cycle else None)
    guard = bet.guard or (cycle.guard if cycle else None) or vault.settings.guard
    return budget, guard


def share(budget: SessionBudget, usage: Usage) -> Decimal:
    shares = [Decimal(0)]
    if budget.usd:
        shares.append(usage.priced_usd / budget.usd)
    if budget.tokens:
        shares.append(Decimal(usage.tokens.total) / budget.tokens)
    return max(shares)


@dataclass(frozen=True, slots=True)
class SessionsView:
    budget: SessionBudget
    guard: Guard
    sessions: int
    warned: int  # sessions at or past the warning share
    over: int  # at or past the hard limit
    top: tuple[str, Decimal, Usage] | None  # the largest session: id, share, usage


def sessions_view(
    vault: Vault, bet: Bet, rows: Iterable[LedgerRow], book: PriceBook
) -> SessionsView | None:
    """None when no session budget applies to the bet."""
    budget, guard = budget_of(vault, bet)
    if budget is None:
        return None
    cycle = vault.cycle(bet.cycle)
    per: dict[str, Usage] = {}
    for row in rows:
        if cycle is None or cycle.contains(row.date):
            per.setdefault(row.session, Usage()).add(row, book)
    shares = {s: share(budget, u) for s, u in per.items()}
    top = max(shares, key=lambda s: (shares[s], s), default=None)
    return SessionsView(
        budget=budget,
        guard=guard,
        sessions=len(per),
        warned=sum(1 for v in shares.values() if v >= budget.warn),
        over=sum(1 for v in shares.values() if v >= budget.block),
        top=None if top is None else (top, shares[top], per[top]),
    )


def _amount(b: SessionBudget) -> str:
    parts = [f"${b.usd:,.2f}"] if b.usd is not None else []
    parts += [f"{b.tokens:,} tokens"] if b.tokens is not None else []
    return " and ".join(parts)


def sessions_text(v: SessionsView) -> str:
    b = v.budget
    head = (
        f"session budget {_amount(b)} (warn {b.warn:.0%}, hard limit {b.block:.0%}, "
        f"guard: {v.guard.mode}): {v.sessions} session(s) this cycle, {v.warned} past the "
        f"warning, {v.over} past the hard limit"
    )
    if v.top is None:
        return head
    session, top_share, usage = v.top
    floor = "≥" if usage.unpriced else ""
    return (
        f"{head}; the largest, {session[:8]}…, used {floor}${usage.priced_usd:,.2f} and "
        f"{usage.tokens.total:,} tokens ({floor}{top_share:.0%})"
    )


def sessions_json(v: SessionsView | None) -> dict[str, Any] | None:
    if v is None:
        return None
    b = v.budget
    top = v.top
    return {
        "usd": None if b.usd is None else f"{b.usd}",
        "tokens": b.tokens,
        "warn": f"{b.warn * 100:.0f}",
        "block": f"{b.block * 100:.0f}",
        "guard": v.guard.mode,
        "sessions": v.sessions,
        "past_warning": v.warned,
        "past_hard_limit": v.over,
        "largest": None
        if top is None
        else {
            "session": top[0],
            "percent": f"{top[1] * 100:.1f}",
            "used_usd": f"{top[2].priced_usd:.2f}",
            "used_tokens": top[2].tokens.total,
            "unpriced_tokens": top[2].unpriced_tokens,
        },
    }
