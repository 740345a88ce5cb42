"""`tokenbook status` as text: one titled section each for the cycle, its bets, the plan windows
and the usage-limit notices, fitted to the terminal's width and coloured only when asked."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from tokenbook.dashboard import BetView
from tokenbook.estimate_record import estimate_status
from tokenbook.filters import compact
from tokenbook.filters import pct
from tokenbook.filters import usd
from tokenbook.layout import Column
from tokenbook.layout import fit
from tokenbook.money import Money
from tokenbook.money import amount
from tokenbook.money import models_text
from tokenbook.money import unpriced_note
from tokenbook.outcome_text import yield_line
from tokenbook.pace import Pace
from tokenbook.plans import WindowUsage
from tokenbook.reports import Usage
from tokenbook.session_budgets import sessions_text
from tokenbook.status import Status
from tokenbook.term import BOLD
from tokenbook.term import YELLOW
from tokenbook.term import level_colour
from tokenbook.term import paint

SHOW_LIMITS = 3
DETAIL = 5  # indent of the lines under a bet's row


def status_text(s: Status, width: int, colour: bool) -> str:
    parts = [_cycle(s, width, colour), _bets(s, width, colour)]
    if s.dash.cycle_warning:  # today is in no cycle: say so first, with the fix
        warning = _wrap("warning: " + s.dash.cycle_warning, width, 0)
        parts.insert(0, "\n".join(paint(x, YELLOW, colour) for x in warning))
    if s.windows:
        parts.append(_plans(s, width, colour))
    if s.limits:
        parts.append(_limits(s, colour))
    return "\n\n".join(parts)


def _table(headers: Sequence[Column], cells: list[list[str]], width: int) -> list[str]:
    """A table of `cells` under `headers` (whose own cells are empty), fitted to `width`."""
    columns = [replace(h, cells=[row[i] for row in cells]) for i, h in enumerate(headers)]
    return fit(columns, width, totals=False)


def _title(text: str, colour: bool) -> str:
    return paint(text, BOLD, colour)


def _wrap(text: str, width: int, indent: int, first: str = "") -> list[str]:
    lead = " " * indent
    return textwrap.wrap(
        text,
        max(width, 40),
        initial_indent=lead + first,
        subsequent_indent=lead + " " * len(first),
        break_on_hyphens=False,
    )


def _pace_lines(p: Pace | None, window: Money, used: Usage) -> list[str]:
    """Burn per active day and the projection; `≥` when the money leaves unpriced usage out."""
    if p is None:
        return ["no pace yet"]
    q = p.projected
    burn = amount(p.burn_usd, not window.complete)
    ahead = bool(used.unpriced) or not window.complete
    return [
        f"burn {compact(p.burn_tokens)} tok, {burn} per active day "
        f"({p.active_days} of the last {p.window_days} days)",
        f"projected at cycle end {compact(q.tokens)} tok ({compact(q.tokens_low)} to "
        f"{compact(q.tokens_high)}), {amount(q.usd, ahead)} ({amount(q.usd_low, ahead)} to "
        f"{amount(q.usd_high, ahead)})",
    ]


def _note(u: Usage, width: int, indent: int) -> list[str]:
    if not u.unpriced:
        return []
    return _wrap(unpriced_note(u.unpriced_tokens, u.unpriced_models), width, indent)


def _cycle(s: Status, width: int, colour: bool) -> str:
    d = s.dash
    c = d.cycle
    if c is None:
        return _title("Cycle", colour) + "\n  no cycle yet: add one under cycles/"
    lines = [
        _title(f"Cycle {c.id}", colour)
        + f": {c.start} → {c.end}, day {d.day} of {c.days} (as of {d.as_of})"
    ]
    if c.budget_usd is not None:
        used = amount(d.used.priced_usd, bool(d.used.unpriced))
        lines.append(f"  used {used} of {usd(c.budget_usd)} (priced)")
    if c.budget_tokens is not None:
        lines.append(f"  used {d.used_tokens:,} of {c.budget_tokens:,} tokens")
    lines += ["  " + x for x in _pace_lines(d.pace, s.cycle_burn, d.used)]
    lines += _note(d.used, width, 2)
    return "\n".join(lines)


def _appetite(b: BetView) -> str:
    parts = [
        *([usd(b.appetite_usd)] if b.appetite_usd is not None else []),
        *([f"{compact(b.appetite_tokens)} tok"] if b.appetite_tokens is not None else []),
    ]
    return " / ".join(parts) or "—"


def _percent(b: BetView, colour: bool) -> str:
    floor = "≥" if b.usage.unpriced and b.appetite_usd is not None else ""
    text = floor + pct(b.percent)
    return paint(text, level_colour(float(b.percent)), colour) if b.percent is not None else text


def _bet_cells(b: BetView, colour: bool) -> list[str]:
    used = f"{amount(b.usage.priced_usd, bool(b.usage.unpriced))} / {compact(b.used_tokens)} tok"
    limit = f"/{b.bet.max_iterations}" if b.bet and b.bet.max_iterations else ""
    alerts = f"{b.alert_level} ({', '.join(f'{t}%' for t in b.alerts)})" if b.alerts else ""
    iterations = f"{b.iterations}{limit}"
    return [f"{b.colour} {b.id}", _appetite(b), used, _percent(b, colour), iterations, alerts]


def _bet_details(s: Status, b: BetView, width: int, colour: bool) -> list[str]:
    out: list[str] = []
    pad = " " * DETAIL
    if b.pace and b.pace.active_days:
        out += [pad + x for x in _pace_lines(b.pace, s.burn(b), b.usage)]
    if b.pace and b.pace.runs_out_on:
        sooner = " or sooner (part of the usage has no price)" if b.usage.unpriced else ""
        out.append(f"{pad}at this pace the appetite runs out on {b.pace.runs_out_on}{sooner}")
    if b.id in s.sessions:
        out += _wrap(sessions_text(s.sessions[b.id]), width, DETAIL)
    if b.id in s.yields:
        out += _wrap(yield_line(s.yields[b.id]), width, DETAIL)
    if b.id in s.estimates and b.bet is not None:
        out += _wrap(estimate_status(s.estimates[b.id], b.bet.estimate_alert), width, DETAIL)
    progress = s.progress.get(b.id)
    for w in progress.warnings if progress else b.warnings:
        out += [paint(x, YELLOW, colour) for x in _wrap(w, width, DETAIL, "! ")]
    for suggestion in progress.suggestions if progress else []:
        out += _wrap(suggestion, width, DETAIL + 2, "- ")
    if b.cheaper:
        tip = b.cheaper
        left = (
            f"; {tip.left_out_tokens:,} tokens with no price left out"
            if tip.left_out_tokens
            else ""
        )
        out += _wrap(
            f"tip: on {tip.cheaper} this usage would cost {usd(tip.cheaper_usd)} instead of "
            f"{usd(tip.actual_usd)} (saving {usd(tip.saving)}{left})",
            width,
            DETAIL,
        )
    return out


BET_HEADERS = (
    Column(header="   Bet", cells=(), clip=15),
    Column(header="Appetite", cells=(), drop=1),
    Column(header="Used", cells=()),
    Column(header="%", cells=(), right=True),
    Column(header="Iter", cells=(), right=True),
    Column(header="Alerts", cells=(), clip=8),
)


def _bets(s: Status, width: int, colour: bool) -> str:
    bets = s.dash.bets
    title = _title("Bets", colour)
    if not bets:
        return title + "\n  no bets in this cycle yet: add one under bets/"
    table = _table(BET_HEADERS, [_bet_cells(b, colour) for b in bets], width)
    lines = [title, table[0], table[1]]
    for b, row in zip(bets, table[2:], strict=True):
        lines += [row, *_bet_details(s, b, width, colour)]
    return "\n".join(lines)


def _window_cells(w: WindowUsage) -> list[str]:
    limits = [
        *([f"{compact(w.window.limit_tokens)} tok"] if w.window.limit_tokens else []),
        *([usd(w.window.limit_usd)] if w.window.limit_usd else []),
    ]
    floor = "≥" if w.unpriced and w.window.limit_usd else ""
    resets = f"{w.resets_at:%Y-%m-%d %H:%M %Z}" if w.resets_at else "rolling"
    return [
        w.plan.name,
        w.window.name,
        f"{w.tokens:,}",
        amount(w.usd, w.unpriced),
        " / ".join(limits) or "—",
        floor + pct(w.percent) if limits else "—",
        resets,
        w.source,
    ]


WINDOW_HEADERS = (
    Column(header="Plan", cells=(), clip=10),
    Column(header="Window", cells=(), clip=8),
    Column(header="Tokens", cells=(), right=True),
    Column(header="Cost", cells=(), right=True),
    Column(header="Limit", cells=(), right=True),
    Column(header="%", cells=(), right=True),
    Column(header="Resets", cells=(), drop=1),
    Column(header="From", cells=(), drop=2),
)


def _plans(s: Status, width: int, colour: bool) -> str:
    lines = [_title("Plan windows", colour)]
    lines += _table(WINDOW_HEADERS, [_window_cells(w) for w in s.windows], width)
    for w in s.windows:
        if w.unpriced:
            note = (
                f"≥ {w.plan.name}, {w.window.name}: {w.unpriced_tokens:,} tokens of "
                f"{models_text(w.unpriced_models)} have no price in pricing/"
            )
            lines += _wrap(note, width, 0)
    return "\n".join(lines)


def _utc(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _limits(s: Status, colour: bool) -> str:
    lines = [_title("Usage limits reached", colour)]
    for e in s.limits[-SHOW_LIMITS:]:
        reset = f", resets {_utc(e.reset_at)}" if e.reset_at else ""
        lines.append(f"  {_utc(e.at)} (session {short_id(e.session)}{reset})")
    return "\n".join(lines)


def short_id(session: str) -> str:
    """The first 8 characters and `…`, as the reports print session ids."""
    return session if len(session) <= 8 else session[:8] + "…"
