"""Vault-side records: settings, cycles, bets, prices and plans. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

UNASSIGNED = "unassigned"
BET_STATUSES = ("planned", "active", "done", "dropped")
PRICE_KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
# Ledgers record which of these a request's prompt exceeded: the thresholds where a price
# list switches the whole request to higher rates (Claude and Gemini 200k, GPT-5.4/5.5 272k).
PROMPT_BANDS = (100_000, 200_000, 272_000)
FORMAT_1_BANDS = (100_000, 200_000)  # all that format-1 ledgers recorded


@dataclass(frozen=True, slots=True)
class Repeat:
    """How cycles recur: a new one every `count` months or days (`weekly` is 7 days); `never`
    stops a cycle from repeating when the settings say cycles do."""

    unit: str  # "month", "day" or "never"
    count: int = 1

    def __str__(self) -> str:
        if self.unit == "never":
            return "never"
        if self.count == 1:
            return {"month": "monthly", "day": "daily"}[self.unit]
        if self.unit == "day" and self.count == 7:
            return "weekly"
        return f"every {self.count} {self.unit}s"


GUARD_MODES = ("off", "warn", "block")
WARN_AT = Decimal("0.8")  # guards warn at 80% of a budget and may block at 110% (seeds 001, 002)
BLOCK_AT = Decimal("1.1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Guard:
    """What `tokenbook guard` does when a bet passes a share of its appetite (or a session of
    its session budget): nothing below `warn`, a warning from it, and past `block` it blocks
    the prompt only in mode `block`. `off` does nothing at all."""

    mode: str = "warn"
    warn: Decimal = WARN_AT
    block: Decimal = BLOCK_AT


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionBudget:
    """A budget per session (dollars and/or tokens) with its own thresholds."""

    usd: Decimal | None = None
    tokens: int | None = None
    warn: Decimal = WARN_AT
    block: Decimal = BLOCK_AT


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    timezone: str = "UTC"
    iteration_unit: str = "session"
    alert_thresholds: tuple[int, ...] = (75, 90, 100)
    budget_kinds: tuple[str, ...] = PRICE_KINDS
    logs: tuple[str, ...] = ()
    alert_command: str | None = None  # run once per newly crossed threshold (sync)
    cycle_repeat: Repeat | None = None  # for cycles that do not say `repeat:` themselves
    guard: Guard = Guard()  # for bets and cycles that do not say `guard:` themselves
    links: str = "markdown"  # how rendered files link bets and cycles: or "wikilinks"


@dataclass(frozen=True, slots=True, kw_only=True)
class Cycle:
    id: str
    start: date
    end: date
    budget_usd: Decimal | None = None
    budget_tokens: int | None = None
    reserve: Decimal = Decimal(0)  # share of the budget kept for cooldown, 0..1
    repeat: Repeat | None = None  # None: the settings' `cycle_repeat`
    derived_from: str = ""  # set on a cycle made in memory from a repeating one (no file yet)
    guard: Guard | None = None  # None: the settings' guard
    session_budget: SessionBudget | None = None  # for sessions of bets that set none
    path: str = ""
    line: int = 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Appetite:
    share: Decimal | None = None  # of the cycle budget, 0..1
    usd: Decimal | None = None
    tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """Every given field must match (glob); a bet's rules are alternatives."""

    project: str | None = None
    branch: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    text: str
    done: bool
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateRecord:
    """An estimate written into a bet (`estimate --record`): what its total would cost."""

    usd: Decimal
    low: Decimal | None = None  # the interval stated with it
    high: Decimal | None = None
    on: date | None = None  # the day it was made
    evidence: str = ""  # what it was made from, and how such estimates fared in the backtest


ESTIMATE_ALERT = 110  # percent of the estimate at which usage alerts, unless the bet says


@dataclass(frozen=True, slots=True, kw_only=True)
class Bet:
    id: str
    cycle: str
    appetite: Appetite
    status: str = "active"
    rules: tuple[Rule, ...] = ()
    sessions: tuple[str, ...] = ()
    max_iterations: int | None = None
    tags: tuple[str, ...] = ()
    alert_thresholds: tuple[int, ...] | None = None  # None: the vault's setting
    tasks: tuple[Task, ...] = ()
    title: str = ""
    guard: Guard | None = None  # None: the cycle's, else the settings'
    session_budget: SessionBudget | None = None  # None: the cycle's
    path: str = ""
    lines: tuple[tuple[str, int], ...] = ()
    estimate: EstimateRecord | None = None
    estimate_alert: int = ESTIMATE_ALERT  # percent of the estimate

    def line(self, key: str) -> int:
        return dict(self.lines).get(key, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rates:
    """USD per million tokens, one per token kind."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal

    def of(self, kind: str) -> Decimal:
        value: Decimal = getattr(self, kind)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceEntry:
    start: date
    rates: Rates
    long_context: Rates | None = None
    long_context_threshold: int | None = None
    fast: Decimal | None = None
    flex: Decimal | None = None  # OpenAI's flex service tier, a multiplier of every rate
    geo: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPrice:
    patterns: tuple[str, ...]
    name: str
    entries: tuple[PriceEntry, ...]  # sorted by start
    path: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DatedPrice:
    start: date
    usd: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanWindow:
    name: str
    hours: int
    limit_tokens: int | None = None
    limit_usd: Decimal | None = None
    resets: str | None = None  # "monday 09:00" (weekly), "09:00" (daily) or an ISO datetime anchor


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    id: str
    name: str
    windows: tuple[PlanWindow, ...]
    price_usd_month: Decimal | None = None
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Vault:
    root: Path
    settings: Settings
    cycles: tuple[Cycle, ...]
    bets: tuple[Bet, ...]
    models: tuple[ModelPrice, ...]
    web_search: tuple[DatedPrice, ...]  # USD per 1,000 searches, sorted by start
    plans: tuple[Plan, ...]

    def cycle(self, cycle_id: str) -> Cycle | None:
        return next((c for c in self.cycles if c.id == cycle_id), None)

    def bet(self, bet_id: str) -> Bet | None:
        return next((b for b in self.bets if b.id == bet_id), None)
