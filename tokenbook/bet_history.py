"""The history estimates learn from: sessions and done bets, their backtests, and a learned
estimate of each open bet's total (`learn.predict_bet`)."""

from __future__ import annotations

from dataclasses import dataclass

from tokenbook.estimates import bet_totals
from tokenbook.estimates import done_bets
from tokenbook.estimates import session_costs
from tokenbook.learn import MIN_HISTORY
from tokenbook.learn import WINDOW
from tokenbook.learn import BetSample
from tokenbook.learn import Hits
from tokenbook.learn import Interval
from tokenbook.learn import Prediction
from tokenbook.learn import backtest_bets
from tokenbook.learn import backtest_series
from tokenbook.learn import conformal
from tokenbook.learn import predict_bet
from tokenbook.model import Vault
from tokenbook.stats import median
from tokenbook.store import LedgerSet


@dataclass(frozen=True, slots=True, kw_only=True)
class Backtest:
    what: str
    hits: Hits
    left_out: int = 0  # samples with unpriced usage: their cost is unknown, never $0


def session_backtest(vault: Vault, ledgers: LedgerSet) -> Backtest:
    """Each session's cost predicted from the latest sessions before it. Sessions with any
    unpriced usage are left out: their cost is not known."""
    sessions = [s for s in session_costs(vault, ledgers) if not s.total.unpriced_models]
    costs = [s.total.usd for s in sessions]
    return Backtest(
        what=f"each session predicted from the latest {WINDOW} before it",
        hits=backtest_series(costs, [s.group for s in sessions]),
        left_out=len(session_costs(vault, ledgers)) - len(costs),
    )


def bet_samples(vault: Vault, ledgers: LedgerSet) -> tuple[list[BetSample], int]:
    """Done bets whose usage is all priced, in the order they started; and how many done bets
    were left out because part of their usage has no price."""
    ids = done_bets(vault, ledgers)
    costs = bet_totals(vault, ledgers, ids)
    span: dict[str, tuple[str, str]] = {}
    for placed in ledgers.rows.values():
        first, last = placed.row.first.isoformat(), placed.row.last.isoformat()
        known = span.get(placed.ledger, (first, last))
        span[placed.ledger] = (min(known[0], first), max(known[1], last))
    samples = []
    for bet_id, cost in zip(ids, costs, strict=True):
        bet = vault.bet(bet_id)
        if bet is None or cost.unpriced_models:
            continue
        first, last = span[bet_id]
        samples.append(
            BetSample(
                id=bet_id,
                tags=bet.tags,
                deliverables=len(bet.tasks),
                usd=cost.usd,
                first=first,
                last=last,
            )
        )
    return samples, len(ids) - len(samples)


def bet_backtest(vault: Vault, ledgers: LedgerSet) -> Backtest:
    samples, left_out = bet_samples(vault, ledgers)
    return Backtest(
        what="each done bet's total predicted from the bets done before it started",
        hits=backtest_bets(samples),
        left_out=left_out,
    )


def open_bet_estimates(vault: Vault, ledgers: LedgerSet) -> dict[str, Prediction | None]:
    """A learned estimate of the total of every bet not done or dropped, from every done bet."""
    samples, _ = bet_samples(vault, ledgers)
    return {
        b.id: predict_bet(b.tags, len(b.tasks), samples)
        for b in vault.bets
        if b.status in ("planned", "active")
    }


def plan_backtest(vault: Vault, ledgers: LedgerSet) -> Backtest:
    """Each done bet as the plan of its own sessions ("N sessions of its first tag"), priced
    from the latest sessions before it started, as `estimate --plan` would have: N x the median, the
    interval N x the per-session interval's ends."""
    sessions = session_costs(vault, ledgers)
    samples, left_out = bet_samples(vault, ledgers)
    tagged = {t: {b.id for b in vault.bets if t in b.tags} for b in vault.bets for t in b.tags}
    hits = Hits()
    for b in samples:
        bets = tagged[b.tags[0]] if b.tags else None
        n = sum(b.id in s.ledgers for s in sessions)
        past = [
            s
            for s in sessions
            if s.first < b.first
            and not s.total.unpriced_models
            and (bets is None or s.ledgers & bets)
        ][-WINDOW:]
        if len(past) < MIN_HISTORY or not n:
            continue
        i = conformal([s.total.usd for s in past], [s.group for s in past])
        m = median([s.total.usd for s in past])
        hits = hits.add(b.usd, n * m, Interval(n * i.low, n * i.high, i.coverage))
    what = "each done bet as a plan of its own sessions, from the sessions before it"
    return Backtest(what=what, hits=hits, left_out=left_out)
