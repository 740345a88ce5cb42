"""What the dashboard and the progress files show, computed from the vault and ledgers."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal

from tokenbook.ledger import ITERATION
from tokenbook.ledger import MANUAL_SOURCE
from tokenbook.ledger import LedgerRow
from tokenbook.model import UNASSIGNED
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.pace import Daily
from tokenbook.pace import Pace
from tokenbook.pace import over_typical
from tokenbook.pace import pace
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.stats import median
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
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
class Line:
    """One labelled total in a breakdown table."""

    label: str
    usage: Usage = field(default_factory=Usage)
    extra: str = ""


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
    bets: list[BetView] = field(default_factory=list)
    unassigned: BetView | None = None
    models: list[Line] = field(default_factory=list)
    projects: list[Line] = field(default_factory=list)
    agents: list[Line] = field(default_factory=list)
    daily: list[Line] = field(default_factory=list)
    sessions: list[Line] = field(default_factory=list)
    all_time: Usage = field(default_factory=Usage)
    unpriced: list[str] = field(default_factory=list)


def latest_day(ledgers: LedgerSet) -> date | None:
    return max((p.row.date for p in ledgers.rows.values()), default=None)


def pick_cycle(vault: Vault, as_of: date | None) -> Cycle | None:
    """The cycle holding `as_of`, else the last one started before it, else the first."""
    if not vault.cycles:
        return None
    if as_of is None:
        return vault.cycles[0]
    holding = [c for c in vault.cycles if c.contains(as_of)]
    if holding:
        return holding[-1]
    started = [c for c in vault.cycles if c.start <= as_of]
    return started[-1] if started else vault.cycles[0]


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
    usage = Usage()
    for row in rows:
        usage.add(row, book)
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


def daily_totals(
    rows: list[LedgerRow], book: PriceBook, kinds: tuple[str, ...]
) -> dict[date, Daily]:
    """Budget tokens and priced USD per day."""
    days: dict[date, Daily] = {}
    for row in rows:
        d = days.get(row.date, Daily())
        usd = book.price(row).usd or Decimal(0)
        tokens = sum(getattr(row.tokens, k) for k in kinds)
        days[row.date] = Daily(tokens=d.tokens + tokens, usd=d.usd + usd)
    return days


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


def _burn(days: dict[date, Daily], before: date = date.max) -> Decimal | None:
    """Budget tokens per active day, over the days before `before`."""
    active = [d.tokens for day, d in days.items() if day < before and d.tokens]
    return Decimal(sum(active)) / len(active) if active else None


def _typical_warnings(views: list[BetView], min_days: int = 3) -> None:
    """Warn when a bet's recent burn is well above its own earlier pace or similar bets'."""
    for v in views:
        p = v.pace
        if p is None or v.bet is None or not p.active_days:
            continue
        recent = Decimal(p.burn_tokens)
        earlier = [d for d in v.daily if d < p.window_start and v.daily[d].tokens]
        own = _burn(v.daily, p.window_start) if len(earlier) >= min_days else None
        ratio = over_typical(recent, own)
        if ratio is not None:
            v.warnings.append(f"burns {ratio:.1f}x its own earlier pace per active day")
        peers = [
            b
            for b in views
            if b is not v and b.bet and set(b.bet.tags) & set(v.bet.tags) and b.daily
        ]
        burns = sorted(x for x in (_burn(b.daily) for b in peers) if x is not None)
        if burns:
            ratio = over_typical(recent, median(burns))
            if ratio is not None:
                names = ", ".join(sorted(b.id for b in peers))
                v.warnings.append(f"burns {ratio:.1f}x the median of similar bets ({names})")


def _breakdown(placed: list[Placed], book: PriceBook, label: Callable[[Placed], str]) -> list[Line]:
    lines: dict[str, Line] = {}
    for p in placed:
        lines.setdefault(label(p), Line(label(p))).usage.add(p.row, book)
    return sorted(
        lines.values(), key=lambda ln: (-(ln.usage.priced_usd), -ln.usage.tokens.total, ln.label)
    )


def build_dashboard(vault: Vault, ledgers: LedgerSet, as_of: date | None = None) -> Dashboard:
    book = PriceBook(vault)
    as_of = as_of or latest_day(ledgers)
    cycle = pick_cycle(vault, as_of)
    dash = Dashboard(vault=vault, as_of=as_of, cycle=cycle)
    by_ledger = ledgers.by_ledger()
    for placed in ledgers.rows.values():
        dash.all_time.add(placed.row, book)
    views = [bet_view(vault, bet, bet.id, by_ledger.get(bet.id, []), book) for bet in vault.bets]
    if as_of is not None:
        for view in views:
            add_pace(view, vault, by_ledger.get(view.id, []), book, as_of)
        _typical_warnings(views)
    dash.bets = [v for v in views if cycle is None or v.bet is None or v.bet.cycle == cycle.id]
    in_cycle = [p for p in ledgers.rows.values() if cycle is None or cycle.contains(p.row.date)]
    if as_of is not None:
        used_models = sorted({p.row.model for p in in_cycle})
        for view in dash.bets:
            if view.alerts:  # the appetite is running low: show what a cheaper model saves
                rows = by_ledger.get(view.id, [])
                view.cheaper = suggest_cheaper(vault, rows, used_models, as_of)
    orphans = sorted(set(by_ledger) - {b.id for b in vault.bets} - {UNASSIGNED})
    dash.bets.extend(bet_view(vault, None, name, by_ledger[name], book) for name in orphans)
    dash.unassigned = bet_view(
        vault, None, UNASSIGNED, [p.row for p in in_cycle if p.ledger == UNASSIGNED], book
    )
    for p in in_cycle:
        dash.used.add(p.row, book)
    dash.used_tokens = dash.used.budget_tokens(vault.settings.budget_kinds)
    dash.models = _breakdown(in_cycle, book, lambda p: p.row.model)
    dash.projects = _breakdown(in_cycle, book, lambda p: p.row.project or "(no project)")
    dash.agents = _breakdown(in_cycle, book, lambda p: p.row.agent)
    dash.sessions = _top_sessions(in_cycle, book)
    dash.unpriced = sorted(dash.used.unpriced)
    if cycle is not None and as_of is not None:
        _pace(dash, cycle, as_of, in_cycle, book)
    return dash


def _top_sessions(placed: list[Placed], book: PriceBook, limit: int = 10) -> list[Line]:
    lines = _breakdown(placed, book, lambda p: p.row.session)
    bets: dict[str, set[str]] = {}
    for p in placed:
        bets.setdefault(p.row.session, set()).add(p.ledger)
    for line in lines:
        line.extra = ", ".join(sorted(bets[line.label]))
    return lines[:limit]


def _pace(
    dash: Dashboard, cycle: Cycle, as_of: date, placed: list[Placed], book: PriceBook
) -> None:
    last = min(as_of, cycle.end)
    dash.day = max(0, (last - cycle.start).days + 1)
    days: dict[date, Line] = {}
    day = cycle.start
    while day <= last:
        days[day] = Line(day.isoformat())
        day += timedelta(days=1)
    for p in placed:
        if p.row.date in days:
            days[p.row.date].usage.add(p.row, book)
    dash.daily = list(days.values())
    if dash.day > 0 and as_of <= cycle.end:
        scale = Decimal(cycle.days) / Decimal(dash.day)
        dash.projected_usd = dash.used.priced_usd * scale
        dash.projected_tokens = int(Decimal(dash.used_tokens) * scale)
    kinds = dash.vault.settings.budget_kinds
    used = Daily(tokens=dash.used_tokens, usd=dash.used.priced_usd)
    budget = (cycle.budget_tokens, cycle.budget_usd)
    days_ = daily_totals([p.row for p in placed], book, kinds)
    dash.pace = pace(days_, used, cycle.start, cycle.end, as_of, budget)
