"""`tokenbook report KIND`: usage totals from the ledgers (blocks also read the recent logs)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from tokenbook import jsontext
from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.model import UNASSIGNED
from tokenbook.ordering import ORDERS
from tokenbook.ordering import ordered
from tokenbook.pricing import PriceBook
from tokenbook.report_json import bet_rows_json
from tokenbook.report_json import blocks_json
from tokenbook.report_json import report_json
from tokenbook.reports import BY
from tokenbook.reports import LABEL_KINDS
from tokenbook.reports import PARTS
from tokenbook.reports import Filter
from tokenbook.reports import Report
from tokenbook.reports import build_report
from tokenbook.sources.names import NAMES
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.term import colour
from tokenbook.term import width
from tokenbook.vault import load_vault

if TYPE_CHECKING:  # what only some kinds use loads where they use it (tests/test_imports.py)
    from tokenbook.model import Vault
    from tokenbook.outcome_view import Yield

KINDS = (*BY, *LABEL_KINDS, "blocks")
BY_COST = ("session", *LABEL_KINDS)  # tables of these list the most expensive first


def parse_now(value: str) -> datetime:
    """An ISO time; without an offset it is UTC."""
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a time; use ISO 8601 like 2026-11-03T14:30:00Z"
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind",
        choices=KINDS,
        help="one row per day, ISO week (from Monday), month, session, bet, model, project "
        "(cwd), slash command, skill, agent type, run kind, agent tool or 5-hour billing block",
    )
    add_vault(p)
    p.add_argument("--json", action="store_true", help="print JSON (documented in the README)")
    p.add_argument("--since", type=parse_day, help="first day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--until", type=parse_day, help="last day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--bet", help="only this bet's ledger (`unassigned` for unclaimed usage)")
    p.add_argument(
        "--source",
        choices=NAMES,
        help="only this agent tool's usage (claude-code, codex, opencode, gemini)",
    )
    p.add_argument(
        "--project", metavar="GLOB", help="only usage whose project path matches, e.g. '*/webapp'"
    )
    p.add_argument(
        "--breakdown",
        nargs="?",
        const="model",
        choices=PARTS,
        help="split each row by model (the default), agent type, run kind, command or skill: "
        "a line per part under each row of the table, a mapping per row in JSON",
    )
    p.add_argument(
        "--order",
        choices=ORDERS,
        help="cost (highest first), date (last activity, oldest first) or tokens (most first); "
        "default: sessions by cost in the table, by start time in JSON; other kinds by label",
    )
    add_logs(p)
    p.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO",
        help="blocks: the time that decides the active block (default: the clock)",
    )


def _filter(args: argparse.Namespace, vault: Vault, ledgers: LedgerSet) -> Filter:
    if args.since and args.until and args.since > args.until:
        raise TokenbookError(f"--since {args.since} is after --until {args.until}; swap them")
    known = {UNASSIGNED, *ledgers.files, *(b.id for b in vault.bets)}
    if args.bet is not None and args.bet not in known:
        raise TokenbookError(f"unknown bet `{args.bet}`; known: {', '.join(sorted(known))}")
    return Filter(
        since=args.since, until=args.until, bet=args.bet, project=args.project, source=args.source
    )


def parts_as_lines(report: Report) -> Report:
    """The table prints a bucket's `models` under it: with another breakdown, its parts."""
    if not report.part:
        return report
    buckets = tuple(replace(b, models=b.parts) for b in report.buckets)
    return replace(
        report, buckets=buckets, totals=replace(report.totals, models=report.totals.parts)
    )


def bet_yields(vault: Vault, ledgers: LedgerSet, report: Report, keep: Filter) -> dict[str, Yield]:
    """Each bet row's outcome (from git, over the same usage as the row) and its cost."""
    from tokenbook.outcome_view import Yield
    from tokenbook.outcomes import outcomes_of

    outcomes = outcomes_of(ledgers, [b.label for b in report.buckets], keep)
    out = {}
    for b in report.buckets:
        bet = vault.bet(b.label)
        done = sum(t.done for t in bet.tasks) if bet is not None else None
        out[b.label] = Yield(outcome=outcomes[b.label], usage=b.usage, deliverables_done=done)
    return out


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    keep = _filter(args, vault, ledgers)
    book = PriceBook(vault)
    out: dict[str, Any]
    part = args.breakdown or ""
    if args.kind == "blocks":
        if part not in ("", "model"):
            raise TokenbookError(f"--breakdown {part} does not apply to blocks; use a model one")
        out, text = _blocks(args, vault, ledgers, book, keep)
    else:
        out, text = _labelled(args, vault, ledgers, book, keep)
    print(jsontext.dumps(out) if args.json else text)
    return 0


def _labelled(
    args: argparse.Namespace, vault: Vault, ledgers: LedgerSet, book: PriceBook, keep: Filter
) -> tuple[dict[str, Any], str]:
    """Every kind but blocks: the JSON or (without `--json`) the table; only the one printed
    is made."""
    part = args.breakdown or ""
    if args.kind in LABEL_KINDS or part not in ("", "model"):
        from tokenbook.actions import build_labelled

        report = build_labelled(args.kind, ledgers, book, keep, part)
    else:
        report = build_report(args.kind, ledgers, book, keep)
    if args.order:
        report = ordered(report, args.order)
    yields = bet_yields(vault, ledgers, report, keep) if args.kind == "bet" else {}
    if args.json:
        out = report_json(report)
        if args.kind == "bet":
            out = bet_rows_json(out, yields)
        return out, ""
    from tokenbook.tables import report_table

    if args.kind in BY_COST and not args.order:
        report = ordered(report, "cost")
    tz = vault.settings.timezone
    text = report_table(parts_as_lines(report), bool(part), *_terminal(), tz)
    if yields:
        from tokenbook.outcome_text import yields_table

        text = "\n\n".join([text, "\n".join(yields_table(yields, _terminal()[0]))]).rstrip("\n")
    return {}, text


def _terminal() -> tuple[int, bool]:
    return width(sys.stdout, os.environ), colour(sys.stdout, os.environ)


def _blocks(
    args: argparse.Namespace, vault: Vault, ledgers: LedgerSet, book: PriceBook, keep: Filter
) -> tuple[dict[str, Any], str]:
    from tokenbook.attribution import Attributor
    from tokenbook.blockcut import cut
    from tokenbook.blocks import build_blocks
    from tokenbook.commands.common import log_dirs
    from tokenbook.logview import log_responses
    from tokenbook.noop import known_dirs

    if args.order:
        raise TokenbookError("--order does not apply to blocks: they are in time order")
    now = args.now or datetime.now(UTC)
    root = vault.root
    dirs = known_dirs(str(root), [str(p) for p in args.logs])
    found = [Path(d) for d in dirs] if dirs is not None else log_dirs(args.logs, root)
    usage = cut(log_responses(root, found, ledgers), ledgers, Attributor(vault))
    blocks = build_blocks(usage, book, keep, now, vault.settings.timezone)
    if args.json:
        return blocks_json(blocks), ""
    from tokenbook.tables import blocks_table

    return {}, blocks_table(blocks, bool(args.breakdown), *_terminal())
