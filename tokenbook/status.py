"""`tokenbook status` as data: the active cycle, every bet's budget signals, plan windows.

`status_json` is a documented interface (README, "Budgets, alerts and estimates"): money is an
exact decimal string, percentages are numbers rounded to 0.1, dates are ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from tokenbook.dashboard import BetView
from tokenbook.dashboard import Dashboard
from tokenbook.dashboard import build_dashboard
from tokenbook.estimate_record import EstimateRow
from tokenbook.estimate_record import estimate_json
from tokenbook.estimate_record import estimates_table
from tokenbook.ledger import LedgerRow
from tokenbook.limits import LimitRecord
from tokenbook.logcolumns import Responses
from tokenbook.model import Vault
from tokenbook.money import Money
from tokenbook.money import unpriced
from tokenbook.money import unpriced_json
from tokenbook.outcome_view import Yield
from tokenbook.outcome_view import bet_yields as bet_yields
from tokenbook.outcome_view import yield_json
from tokenbook.pace import Pace
from tokenbook.plans import WindowUsage
from tokenbook.plans import plan_usage
from tokenbook.pricing import PriceBook
from tokenbook.pricing import book_for
from tokenbook.progress import ProgressView
from tokenbook.progress import build_progress
from tokenbook.reports import Usage
from tokenbook.reports import usd_text
from tokenbook.session_budgets import SessionsView
from tokenbook.session_budgets import sessions_json
from tokenbook.session_budgets import sessions_view
from tokenbook.stats import HIGH_Q
from tokenbook.stats import LOW_Q
from tokenbook.store import LedgerSet


@dataclass(frozen=True, slots=True)
class Status:
    dash: Dashboard
    progress: dict[str, ProgressView]
    windows: list[WindowUsage]
    limits: list[LimitRecord]
    burns: dict[str, Money] = field(default_factory=dict)  # money in each bet's burn window
    cycle_burn: Money = field(default_factory=Money)  # money in the cycle's burn window
    sessions: dict[str, SessionsView] = field(default_factory=dict)  # bets with session budgets
    yields: dict[str, Yield] = field(default_factory=dict)  # what each bet's usage bought
    estimates: dict[str, EstimateRow] = field(default_factory=dict)  # estimates on record

    def burn(self, b: BetView) -> Money:
        return self.burns.get(b.id, Money())

    @property
    def over(self) -> list[BetView]:
        """Bets at or over 100% of their appetite (what `--strict` fails on)."""
        return [b for b in self.dash.bets if b.percent is not None and b.percent >= 100]


def build_status(
    vault: Vault,
    ledgers: LedgerSet,
    as_of: date,
    now: datetime,
    responses: Responses | None = None,
    limits: list[LimitRecord] | None = None,
) -> Status:
    dash = build_dashboard(vault, ledgers, as_of, extras=False)
    progress = {p.bet.id: p for p in build_progress(vault, ledgers, dash, sessions=False)}
    rows = [p.row for p in ledgers.rows.values()]
    book = book_for(vault)
    by_ledger = ledgers.by_ledger()
    burns = {b.id: window_money(by_ledger.get(b.id, []), book, b.pace) for b in dash.bets}
    windows = plan_usage(vault, rows, now, responses)
    cycle_burn = window_money(rows, book, dash.pace)
    views = {
        b.id: sessions_view(vault, b.bet, by_ledger.get(b.id, []), book) for b in dash.bets if b.bet
    }
    sessions = {k: v for k, v in views.items() if v is not None}
    status = Status(dash, progress, windows, list(limits or []), burns, cycle_burn, sessions)
    status.yields.update(dash.yields)
    status.estimates.update({r.bet.id: r for r in estimates_table(vault, ledgers)})
    return status


def window_money(rows: Iterable[LedgerRow], book: PriceBook, p: Pace | None) -> Money:
    """The money of the rows in a pace's window: what its burn rate is made of."""
    out = Money()
    if p is None:
        return out
    for row in rows:
        if p.window_start <= row.date <= p.window_end:
            usd = book.price(row).usd
            out += unpriced(row.tokens.total, row.model) if usd is None else Money(usd=usd)
    return out


def percent(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _money(value: Decimal | None) -> str | None:
    return usd_text(value.quantize(Decimal("0.000001"))) if value is not None else None


def pace_json(
    p: Pace | None, window: Money, used: Usage
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Burn and projection; `usd` figures are the priced part, `unpriced` says when they are
    floors and `unpriced_tokens` counts what they leave out (in the window; so far)."""
    if p is None:
        return None, None
    burn = {
        "tokens": p.burn_tokens,
        "usd": _money(p.burn_usd),
        "active_days": p.active_days,
        "window": {"start": p.window_start.isoformat(), "end": p.window_end.isoformat()},
        "unpriced": not window.complete,
        **unpriced_json(window.unpriced_tokens, window.unpriced_models),
    }
    q = p.projected
    projected = {
        "tokens": q.tokens,
        "usd": _money(q.usd),
        "interval": {
            "quantiles": [LOW_Q, HIGH_Q],
            "tokens": {"low": q.tokens_low, "high": q.tokens_high},
            "usd": {"low": _money(q.usd_low), "high": _money(q.usd_high)},
        },
        "remaining_days": p.remaining_days,
        "unpriced": bool(used.unpriced) or not window.complete,
        **unpriced_json(used.unpriced_tokens, used.unpriced_models),
    }
    return burn, projected


def bet_json(
    b: BetView,
    progress: ProgressView | None,
    window: Money,
    outcome: Yield | None = None,
    estimate: EstimateRow | None = None,
) -> dict[str, Any]:
    burn, projected = pace_json(b.pace, window, b.usage)
    bet = b.bet
    out: dict[str, Any] = {
        "id": b.id,
        "title": bet.title if bet else "",
        "status": bet.status if bet else None,
        "appetite_tokens": b.appetite_tokens,
        "appetite_usd": _money(b.appetite_usd),
        "used_tokens": b.used_tokens,
        "used_usd": _money(b.usage.priced_usd),
        "unpriced": sorted(b.usage.unpriced),
        **unpriced_json(b.usage.unpriced_tokens, b.usage.unpriced_models),
        "percent": percent(b.percent),
        "alerts": list(b.alerts),
        "alert_level": b.alert_level or None,
        "burn_per_day": burn,
        "projected_at_cycle_end": projected,
        "runs_out_on": b.pace.runs_out_on.isoformat() if b.pace and b.pace.runs_out_on else None,
        "iterations": b.iterations,
        "max_iterations": bet.max_iterations if bet else None,
        "iterations_projected": progress.projected_total if progress else None,
        "deliverables": {"done": b.tasks_done, "total": b.tasks_total},
        "warnings": list(progress.warnings) if progress else list(b.warnings),
        "suggestions": list(progress.suggestions) if progress else [],
        "cheaper_model": None,
        "outcome": yield_json(outcome) if outcome else None,
        "estimate": estimate_json(estimate, bet.estimate_alert) if estimate and bet else None,
    }
    if b.cheaper:
        out["cheaper_model"] = {
            "current": b.cheaper.current,
            "model": b.cheaper.cheaper,
            "actual_usd": _money(b.cheaper.actual_usd),
            "would_cost_usd": _money(b.cheaper.cheaper_usd),
            "saving_usd": _money(b.cheaper.saving),
            "left_out_unpriced_tokens": b.cheaper.left_out_tokens,
        }
    return out


def cycle_json(d: Dashboard, window: Money) -> dict[str, Any] | None:
    c = d.cycle
    if c is None:
        return None
    burn, projected = pace_json(d.pace, window, d.used)
    shares = []
    if c.budget_usd:
        shares.append(d.used.priced_usd * 100 / c.budget_usd)
    if c.budget_tokens:
        shares.append(Decimal(d.used_tokens) * 100 / c.budget_tokens)
    return {
        "id": c.id,
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "day": d.day,
        "days": c.days,
        "budget_tokens": c.budget_tokens,
        "budget_usd": _money(c.budget_usd),
        "reserve": percent(c.reserve * 100),
        "used_tokens": d.used_tokens,
        "used_usd": _money(d.used.priced_usd),
        "unpriced": sorted(d.used.unpriced),
        **unpriced_json(d.used.unpriced_tokens, d.used.unpriced_models),
        "percent": percent(max(shares)) if shares else None,
        "burn_per_day": burn,
        "projected_at_cycle_end": projected,
        "runs_out_on": d.pace.runs_out_on.isoformat() if d.pace and d.pace.runs_out_on else None,
        "cycle_warning": d.cycle_warning,
    }


def _utc(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def window_json(w: WindowUsage) -> dict[str, Any]:
    return {
        "plan": w.plan.id,
        "name": w.plan.name,
        "window": w.window.name,
        "hours": w.window.hours,
        "start": _utc(w.start),
        "resets_at": _utc(w.resets_at),
        "used_tokens": w.tokens,
        "used_usd": _money(w.usd),
        "limit_tokens": w.window.limit_tokens,
        "limit_usd": _money(w.window.limit_usd),
        "percent": percent(w.percent),
        "source": w.source,
        "unpriced": w.unpriced,
        **unpriced_json(w.unpriced_tokens, w.unpriced_models),
    }


def status_json(s: Status) -> dict[str, Any]:
    return {
        "as_of": s.dash.as_of.isoformat() if s.dash.as_of else None,
        "cycle": cycle_json(s.dash, s.cycle_burn),
        "bets": [
            bet_json(b, s.progress.get(b.id), s.burn(b), s.yields.get(b.id), s.estimates.get(b.id))
            | {"session_budget": sessions_json(s.sessions.get(b.id))}
            for b in s.dash.bets
        ],
        "plans": [window_json(w) for w in s.windows],
        "limit_events": [
            {"at": _utc(e.at), "reset_at": _utc(e.reset_at), "session": e.session} for e in s.limits
        ],
    }
