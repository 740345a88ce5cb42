"""What a pre-flight request takes of what is left: of its bet's appetite, of the cycle's
budget and of each plan window's limit; and the warnings a pre-flight shows.

Usage with no price is never $0: where some of it is unpriced, the dollars left are a ceiling
(`unpriced_tokens` says how many tokens that leaves out) and the share is a floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from tokenbook.dashboard import bet_view
from tokenbook.dashboard import build_dashboard
from tokenbook.errors import TokenbookError
from tokenbook.model import Vault
from tokenbook.preflight.session import SessionContext
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet

if TYPE_CHECKING:
    from tokenbook.preflight.estimate import Preflight
    from tokenbook.preflight.estimate import Request

HUNDRED = Decimal(100)
WARN_SHARE = Decimal(50)  # percent of a remaining appetite


@dataclass(frozen=True, slots=True)
class Share:
    name: str  # "bet auth-login", "cycle 2026-11", "plan max-5x 5-hour window"
    remaining_usd: Decimal | None
    remaining_tokens: int | None
    percent: Decimal | None  # the larger of the dollar and token shares; None if nothing left
    unpriced_tokens: int = 0  # used tokens with no price: `remaining_usd` is a ceiling


def _percent(
    cost: Decimal | None, tokens: int, left_usd: Decimal | None, left_tokens: int | None
) -> Decimal | None:
    found = []
    if left_usd is not None and left_usd > 0 and cost is not None:
        found.append(cost * HUNDRED / left_usd)
    if left_tokens is not None and left_tokens > 0:
        found.append(Decimal(tokens) * HUNDRED / Decimal(left_tokens))
    return max(found) if found else None


def shares(vault: Vault, ledgers: LedgerSet, pre: Preflight, request: Request) -> list[Share]:
    kinds = vault.settings.budget_kinds
    tokens = sum(getattr(pre.tokens, k) for k in kinds)
    out = []
    bet_id = request.bet or _session_bet(ledgers, request.session)
    if bet_id is not None:
        bet = vault.bet(bet_id)
        if bet is None:
            known = ", ".join(sorted(b.id for b in vault.bets))
            raise TokenbookError(f"unknown bet `{bet_id}`; known: {known}")
        view = bet_view(vault, bet, bet.id, ledgers.by_ledger().get(bet.id, []), PriceBook(vault))
        left_usd = None if view.appetite_usd is None else view.appetite_usd - view.usage.priced_usd
        left_tokens = (
            None if view.appetite_tokens is None else view.appetite_tokens - view.used_tokens
        )
        out.append(
            Share(
                f"bet {bet.id}",
                left_usd,
                left_tokens,
                _percent(pre.cost, tokens, left_usd, left_tokens),
                view.usage.unpriced_tokens,
            )
        )
    dash = build_dashboard(vault, ledgers, request.as_of)
    cycle = dash.cycle
    if cycle is not None and (cycle.budget_usd is not None or cycle.budget_tokens is not None):
        used_tokens = dash.used.budget_tokens(kinds)
        left_usd = None if cycle.budget_usd is None else cycle.budget_usd - dash.used.priced_usd
        left_tokens = None if cycle.budget_tokens is None else cycle.budget_tokens - used_tokens
        out.append(
            Share(
                f"cycle {cycle.id}",
                left_usd,
                left_tokens,
                _percent(pre.cost, tokens, left_usd, left_tokens),
                dash.used.unpriced_tokens,
            )
        )
    out.extend(_plan_shares(vault, ledgers, pre, request, tokens))
    return out


def _session_bet(ledgers: LedgerSet, session: SessionContext | None) -> str | None:
    if session is None:
        return None
    found = {p.ledger for p in ledgers.rows.values() if p.row.session == session.session}
    found.discard("unassigned")
    return min(found) if len(found) == 1 else None


def _plan_shares(
    vault: Vault, ledgers: LedgerSet, pre: Preflight, request: Request, tokens: int
) -> list[Share]:
    """Each plan window with a limit: what the rows that ended inside the window used (a
    ledger row is a day's aggregate, so a row counts whole when its last response is inside)."""
    book = PriceBook(vault)
    kinds = vault.settings.budget_kinds
    out = []
    for plan in vault.plans:
        for w in plan.windows:
            if w.limit_tokens is None and w.limit_usd is None:
                continue
            start = request.now - timedelta(hours=w.hours)
            rows = [p.row for p in ledgers.rows.values() if start <= p.row.last <= request.now]
            used_tokens = sum(sum(getattr(r.tokens, k) for k in kinds) for r in rows)
            prices = [(book.price(r).usd, r.tokens.total) for r in rows]
            used_usd = sum((usd for usd, _ in prices if usd is not None), Decimal(0))
            left_usd = None if w.limit_usd is None else w.limit_usd - used_usd
            left_tokens = None if w.limit_tokens is None else w.limit_tokens - used_tokens
            out.append(
                Share(
                    f"plan {plan.id} {w.name} window",
                    left_usd,
                    left_tokens,
                    _percent(pre.cost, tokens, left_usd, left_tokens),
                    sum(n for usd, n in prices if usd is None),
                )
            )
    return out


def warnings(pre: Preflight, history: bool) -> list[str]:
    out = []
    total = pre.total_tokens
    if total > 200_000:
        out.append(
            f"the prompt is over 200K tokens ({total:,}): beyond most models' context window, "
            "and long-context prices apply where the price list has them; cut it down"
        )
    elif total > 100_000:
        out.append(
            f"the prompt is over 100K tokens ({total:,}): every later request re-reads it; "
            "leave out what it does not need"
        )
    out.extend(w for w in map(_share_warning, pre.shares) if w)
    if not pre.calibration.fitted:
        out.append(
            f"token counts use the default ratios (±{pre.calibration.error_pct:.0f}%); "
            "run `tokenbook preflight --calibrate` to fit them to your logs"
        )
    if not history:
        out.append("no usage in the ledgers yet: the expected answer size is 0 until you sync")
    if pre.unpriced:
        out.append(f"no cost: {pre.unpriced}")
    return out


def _share_warning(s: Share) -> str:
    if s.percent is None:
        empty = (s.remaining_usd is not None and s.remaining_usd <= 0) or (
            s.remaining_tokens is not None and s.remaining_tokens <= 0
        )
        return f"the {s.name} has no appetite left" if empty else ""
    floor = "at least " if s.unpriced_tokens else ""
    if s.percent > HUNDRED:
        return f"this is more than the {s.name}'s remaining appetite ({floor}{s.percent:.0f}%)"
    if s.percent > WARN_SHARE:
        return f"this uses {floor}{s.percent:.0f}% of the {s.name}'s remaining appetite"
    if s.unpriced_tokens and s.remaining_usd is not None:
        return (
            f"the {s.name} used {s.unpriced_tokens:,} tokens with no price: "
            "the dollars left are at most what is shown"
        )
    return ""
