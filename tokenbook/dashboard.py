"""What the dashboard and the progress files show, computed from the vault and ledgers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from pathlib import Path

from tokenbook.breakdown import Line
from tokenbook.burnup import Burnup
from tokenbook.cycles import current_cycle
from tokenbook.cycles import cycle_warning
from tokenbook.daily import daily_totals
from tokenbook.daily import typical_warnings
from tokenbook.daily import window_unpriced
from tokenbook.ledger import ITERATION
from tokenbook.ledger import MANUAL_SOURCE
from tokenbook.ledger import LedgerRow
from tokenbook.model import UNASSIGNED
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.outcome_view import Yield
from tokenbook.outcome_view import bet_yields
from tokenbook.pace import Daily
from tokenbook.pace import Pace
from tokenbook.pace import pace
from tokenbook.pricing import PriceBook
from tokenbook.pricing import book_for
from tokenbook.reports import Usage
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.unpriced_usage import Unpriced
from tokenbook.usagesum import usage_of
from tokenbook.whatif import Suggestion
from tokenbook.whatif import suggest_cheaper

HUNDRED = Decimal(100)


def level(threshold: int) -> str:
    """An alert's level: 100% and over needs action, 90% warns, anything lower informs."""
    if threshold >= 100:
        return "action required"
    if threshold >= 90:
        return "warning"
    return "info"


@dataclass(slots=True)
class BetView:
    bet: Bet | None
    id: str
    usage: Usage
    appetite_usd: Decimal | None = None
    appetite_tokens: int | None = None
    used_tokens: int = 0
    percent: Decimal | None = None
    percent_usd: Decimal | None = None
    percent_tokens: Decimal | None = None
    alerts: tuple[int, ...] = ()
    iterations: int = 0
    tasks_done: int = 0
    tasks_total: int = 0
    pace: Pace | None = None
    pace_floor: bool = False  # the pace window holds unpriced usage: its dollars are a floor
    daily: dict[date, Daily] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # "over typical" and the like
    cheaper: Suggestion | None = None  # when the appetite runs low

    @property
    def alert_level(self) -> str:
        return level(max(self.alerts)) if self.alerts else ""

    @property
    def colour(self) -> str:
        if self.percent is None:
            return "⚪"
        if self.percent >= 100:
            return "🔴"
        if self.percent >= 90:
            return "🟠"
        if self.percent >= 75:
            return "🟡"
        return "🟢"


@dataclass(slots=True)
class Dashboard:
    vault: Vault
    as_of: date | None
    cycle: Cycle | None
    day: int = 0
    used: Usage = field(default_factory=Usage)
    used_tokens: int = 0
    projected_usd: Decimal | None = None
    projected_tokens: int | None = None
    pace: Pace | None = None
    pace_floor: bool = False
    burnup: Burnup | None = None
    cycle_warning: str | None = None  # the day shown is in no cycle: what to do about it
    cycle_href: str = ""  # the cycle's file from the vault's root; "" for one made by `repeat:`
    bets: list[BetView] = field(default_factory=list)
    unassigned: BetView | None = None
    models: list[Line] = field(default_factory=list)
    projects: list[Line] = field(default_factory=list)
    agents: list[Line] = field(default_factory=list)
    daily: list[Line] = field(default_factory=list)
    sessions: list[Line] = field(default_factory=list)
    all_time: Usage = field(default_factory=Usage)
    unpriced: list[str] = field(default_factory=list)  # every reason, one per model and day
    unpriced_usage: list[Unpriced] = field(default_factory=list)  # grouped by model and reason
    commands: list[Line] = field(default_factory=list)  # the cycle's most expensive commands
    skills: list[Line] = field(default_factory=list)
    sources: list[Line] = field(default_factory=list)  # per agent tool, when more than one
    bought: list[str] = field(default_factory=list)  # markdown: what the bets' usage bought
    yields: dict[str, Yield] = field(default_factory=dict)  # the same, per bet (`dash.bets`)
    estimates: list[str] = field(default_factory=list)  # markdown: estimates vs actuals


def latest_day(ledgers: LedgerSet) -> date | None:
    return max((p.row.date for p in ledgers.rows.values()), default=None)


def pick_cycle(vault: Vault, as_of: date | None) -> Cycle | None:
    """The cycle that holds `as_of` (`cycles.current_cycle`, as `status` and `cycle list` say:
    the next cycle a repeating one makes counts); when none does, the last one that started
    before it (the dashboard then warns), else the first."""
    if not vault.cycles:
        return None
    if as_of is None:
        return vault.cycles[0]
    current = current_cycle(vault, as_of)
    if current is not None:
        return current
    started = [c for c in vault.cycles if c.start <= as_of]
    return max(started, key=lambda c: (c.start, c.id)) if started else vault.cycles[0]


def cycle_notice(vault: Vault, ledgers: LedgerSet) -> str | None:
    """The line sync prints when the latest usage day is in no cycle (the dashboard shows it
    too), with the fix; None when a cycle holds it or there is no usage."""
    day = latest_day(ledgers)
    return None if day is None else cycle_warning(vault, day, what="the latest usage day")


def cycle_href(vault: Vault, cycle: Cycle | None) -> str:
    """The cycle's file from the vault's root, for a link; "" when it has none yet."""
    if cycle is None or cycle.derived_from or not cycle.path:
        return ""
    try:
        return Path(cycle.path).relative_to(vault.root).as_posix()
    except ValueError:
        return ""


def _ratio(used: Decimal | int, budget: Decimal | int | None) -> Decimal | None:
    if budget is None or budget == 0:
        return None
    return Decimal(used) * HUNDRED / Decimal(budget)


def iterations(rows: Iterable[LedgerRow]) -> set[str]:
    """The sessions that are iterations of work: with a main-thread response (a session whose
    only usage is automatic, such as a 2.0.x `Warmup` sidechain, is tokens but no iteration),
    or logged by hand with `tokenbook log --iteration`."""
    return {
        r.session
        for r in rows
        if (r.agent == "main" and r.source != MANUAL_SOURCE) or r.run == ITERATION
    }


def bet_view(
    vault: Vault, bet: Bet | None, ledger: str, rows: list[LedgerRow], book: PriceBook
) -> BetView:
    usage = usage_of(rows, book)
    view = BetView(bet=bet, id=ledger, usage=usage, iterations=len(iterations(rows)))
    view.used_tokens = usage.budget_tokens(vault.settings.budget_kinds)
    if bet is None:
        return view
    view.tasks_total = len(bet.tasks)
    view.tasks_done = sum(t.done for t in bet.tasks)
    cycle = vault.cycle(bet.cycle)
    share = bet.appetite.share
    if share is not None and cycle is not None:
        if cycle.budget_usd is not None:
            view.appetite_usd = cycle.budget_usd * share
        if cycle.budget_tokens is not None:
            view.appetite_tokens = int(cycle.budget_tokens * share)
    else:
        view.appetite_usd, view.appetite_tokens = bet.appetite.usd, bet.appetite.tokens
    view.percent_usd = _ratio(usage.priced_usd, view.appetite_usd)  # a floor if part is unpriced
    view.percent_tokens = _ratio(view.used_tokens, view.appetite_tokens)
    known = [p for p in (view.percent_usd, view.percent_tokens) if p is not None]
    view.percent = max(known) if known else None
    thresholds = bet.alert_thresholds or vault.settings.alert_thresholds
    if view.percent is not None:
        view.alerts = tuple(t for t in thresholds if view.percent >= t)
    return view


def add_pace(
    view: BetView, vault: Vault, rows: list[LedgerRow], book: PriceBook, as_of: date
) -> None:
    cycle = vault.cycle(view.bet.cycle) if view.bet else None
    if cycle is None:
        return
    view.daily = daily_totals(rows, book, vault.settings.budget_kinds)
    used = Daily(tokens=view.used_tokens, usd=view.usage.priced_usd)
    appetite = (view.appetite_tokens, view.appetite_usd)
    view.pace = pace(view.daily, used, cycle.start, cycle.end, as_of, appetite)
    view.pace_floor = window_unpriced(rows, book, view.pace)


def build_dashboard(
    vault: Vault, ledgers: LedgerSet, as_of: date | None = None, *, extras: bool = True
) -> Dashboard:
    """The dashboard as of `as_of` (`status`: today), by default the latest usage day.
    `extras`: the sections only the dashboard file shows (`dash_extras.add_sections`); `status`
    needs the cycle, the bets, their pace and what their usage bought."""
    book = book_for(vault)
    what = "today" if as_of else "the latest usage day"
    as_of = as_of or latest_day(ledgers)
    cycle = pick_cycle(vault, as_of)
    dash = Dashboard(vault=vault, as_of=as_of, cycle=cycle, cycle_href=cycle_href(vault, cycle))
    if as_of is not None:
        dash.cycle_warning = cycle_warning(vault, as_of, what=what, relative=True)
    by_ledger = ledgers.by_ledger()
    in_cycle = [p for p in ledgers.rows.values() if cycle is None or cycle.contains(p.row.date)]
    _bets(dash, by_ledger, book, in_cycle)
    dash.used = usage_of([p.row for p in in_cycle], book)
    dash.used_tokens = dash.used.budget_tokens(vault.settings.budget_kinds)
    dash.unpriced = sorted(dash.used.unpriced)
    dash.yields = bet_yields(ledgers, dash.bets)
    if cycle is not None and as_of is not None:
        _pace(dash, cycle, as_of, [p.row for p in in_cycle], book)
    if extras:
        dash.all_time = usage_of([p.row for p in ledgers.rows.values()], book)
        unassigned = [p.row for p in in_cycle if p.ledger == UNASSIGNED]
        dash.unassigned = bet_view(vault, None, UNASSIGNED, unassigned, book)
        from tokenbook.dash_extras import add_sections  # `status` loads none of it

        add_sections(dash, ledgers, book, in_cycle)
    return dash


def _bets(
    dash: Dashboard, by_ledger: dict[str, list[LedgerRow]], book: PriceBook, in_cycle: list[Placed]
) -> None:
    """The cycle's bets (each with its pace, and a cheaper model when its appetite runs low),
    then the ledgers of no bet."""
    vault, as_of, cycle = dash.vault, dash.as_of, dash.cycle
    views = [bet_view(vault, bet, bet.id, by_ledger.get(bet.id, []), book) for bet in vault.bets]
    if as_of is not None:
        for view in views:
            add_pace(view, vault, by_ledger.get(view.id, []), book, as_of)
        typical_warnings(views)
    dash.bets = [v for v in views if cycle is None or v.bet is None or v.bet.cycle == cycle.id]
    if as_of is not None:
        used_models = sorted({p.row.model for p in in_cycle})
        for view in dash.bets:
            if view.alerts:  # the appetite is running low: show what a cheaper model saves
                rows = by_ledger.get(view.id, [])
                view.cheaper = suggest_cheaper(vault, rows, used_models, as_of)
    orphans = sorted(set(by_ledger) - {b.id for b in vault.bets} - {UNASSIGNED})
    dash.bets.extend(bet_view(vault, None, name, by_ledger[name], book) for name in orphans)


def _pace(
    dash: Dashboard, cycle: Cycle, as_of: date, rows: list[LedgerRow], book: PriceBook
) -> None:
    last = min(as_of, cycle.end)
    dash.day = max(0, (last - cycle.start).days + 1)
    if dash.day > 0 and as_of <= cycle.end:
        scale = Decimal(cycle.days) / Decimal(dash.day)
        dash.projected_usd = dash.used.priced_usd * scale
        dash.projected_tokens = int(Decimal(dash.used_tokens) * scale)
    used = Daily(tokens=dash.used_tokens, usd=dash.used.priced_usd)
    budget = (cycle.budget_tokens, cycle.budget_usd)
    days = daily_totals(rows, book, dash.vault.settings.budget_kinds)
    dash.pace = pace(days, used, cycle.start, cycle.end, as_of, budget)
    dash.pace_floor = window_unpriced(rows, book, dash.pace)
