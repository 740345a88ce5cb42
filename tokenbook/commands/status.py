"""`tokenbook status`: the active cycle, each bet against its appetite, alerts, plan windows."""

from __future__ import annotations

import argparse
import json
import textwrap
from datetime import UTC
from datetime import datetime
from pathlib import Path

from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import log_dirs
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.dashboard import BetView
from tokenbook.events import UsageEvent
from tokenbook.limits import read_limits
from tokenbook.pace import Pace
from tokenbook.plans import local_day
from tokenbook.render import compact
from tokenbook.render import pct
from tokenbook.render import usd
from tokenbook.sources import claude_code
from tokenbook.status import Status
from tokenbook.status import build_status
from tokenbook.status import status_json
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

STRICT_EXIT = 2
SHOW_LIMITS = 3
WIDTH = 100


def _now(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a datetime; use 2026-11-18T12:00Z"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    add_logs(p)
    p.add_argument("--json", action="store_true", help="print JSON (a documented interface)")
    p.add_argument(
        "--strict", action="store_true", help=f"exit {STRICT_EXIT} if any bet is at or over 100%%"
    )
    p.add_argument("--as-of", type=parse_day, help="the day to report on (default: today)")
    p.add_argument("--now", type=_now, help="the moment for plan windows (default: the clock)")


def _events(dirs: list[Path]) -> list[UsageEvent] | None:
    """Recent responses for plan windows, when any log dir is readable."""
    if not any((d / "projects").is_dir() for d in dirs):
        return None
    return claude_code.collect(dirs).events


def _pace_text(p: Pace | None) -> str:
    if p is None:
        return "no pace yet"
    q = p.projected
    return (
        f"burn {compact(p.burn_tokens)} tok, {usd(p.burn_usd)} per active day "
        f"({p.active_days} of the last {p.window_days} days)\n"
        f"projected at cycle end {compact(q.tokens)} tok ({compact(q.tokens_low)} to "
        f"{compact(q.tokens_high)}), {usd(q.usd)} ({usd(q.usd_low)} to {usd(q.usd_high)})"
    )


def _indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line for line in text.split("\n"))


def _bet_line(b: BetView) -> str:
    appetite = " / ".join(
        x
        for x in (
            usd(b.appetite_usd) if b.appetite_usd is not None else "",
            f"{compact(b.appetite_tokens)} tok" if b.appetite_tokens is not None else "",
        )
        if x
    )
    floor = "≥" if b.usage.unpriced else ""
    used = f"{floor}{usd(b.usage.priced_usd)} / {compact(b.used_tokens)} tok"
    limit = f"/{b.bet.max_iterations}" if b.bet and b.bet.max_iterations else ""
    return (
        f"{b.colour} {b.id:<18} {appetite or '—':<18} {used:<22} {floor + pct(b.percent):>6}"
        f"  iter {b.iterations}{limit}"
        + (f"  {b.alert_level} ({', '.join(f'{t}%' for t in b.alerts)})" if b.alerts else "")
    )


def _print_cycle(s: Status) -> None:
    d = s.dash
    c = d.cycle
    if c is None:
        print("no cycle yet: add one under cycles/")
        return
    print(f"cycle {c.id}: {c.start} → {c.end}, day {d.day} of {c.days} (as of {d.as_of})")
    if c.budget_usd is not None:
        floor = "≥" if d.used.unpriced else ""
        print(f"  used {floor}{usd(d.used.priced_usd)} of {usd(c.budget_usd)} (priced)")
    if c.budget_tokens is not None:
        print(f"  used {d.used_tokens:,} of {c.budget_tokens:,} tokens")
    print(_indent(_pace_text(d.pace), 2))


def _print_bet(s: Status, b: BetView) -> None:
    print(_bet_line(b))
    if b.pace and b.pace.active_days:
        print(_indent(_pace_text(b.pace), 5))
    if b.pace and b.pace.runs_out_on:
        print(f"     at this pace the appetite runs out on {b.pace.runs_out_on}")
    progress = s.progress.get(b.id)
    for w in progress.warnings if progress else b.warnings:
        print(textwrap.fill(w, WIDTH, initial_indent="     ! ", subsequent_indent="       "))
    for suggestion in progress.suggestions if progress else []:
        print(f"       - {suggestion}")
    if b.cheaper:
        tip = b.cheaper
        print(
            f"     tip: on {tip.cheaper} this usage would cost {usd(tip.cheaper_usd)}"
            f" instead of {usd(tip.actual_usd)} (saving {usd(tip.saving)})"
        )


def _print_plans(s: Status) -> None:
    for w in s.windows:
        resets = f"resets {w.resets_at:%Y-%m-%d %H:%M %Z}" if w.resets_at else "rolling"
        limit = [
            *([f"{w.window.limit_tokens:,} tok"] if w.window.limit_tokens else []),
            *([usd(w.window.limit_usd)] if w.window.limit_usd else []),
        ]
        print(
            f"plan {w.plan.name}, {w.window.name} window: {w.tokens:,} tok, {usd(w.usd)}"
            + (f" of {' / '.join(limit)} ({pct(w.percent)})" if limit else "")
            + f"; {resets} (from {w.source})"
        )
    for e in s.limits[-SHOW_LIMITS:]:
        reset = f", resets {e.reset_at:%Y-%m-%d %H:%M} UTC" if e.reset_at else ""
        print(f"usage limit reached {e.at:%Y-%m-%d %H:%M} UTC (session {e.session}{reset})")


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    now = args.now or datetime.now(UTC)
    as_of = args.as_of or local_day(now, vault.settings.timezone)
    limits, _ = read_limits(root)
    events = _events(log_dirs(args.logs, root))
    status = build_status(vault, ledgers, as_of, now, events, limits)
    if args.json:
        print(json.dumps(status_json(status), indent=2, ensure_ascii=False))
    else:
        _print_cycle(status)
        print()
        for b in status.dash.bets:
            _print_bet(status, b)
        print()
        _print_plans(status)
    return STRICT_EXIT if args.strict and status.over else 0
