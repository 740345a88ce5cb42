"""`tokenbook report daily|monthly|session`: usage totals from the ledgers."""

from __future__ import annotations

import argparse
import json

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.reports import BY
from tokenbook.reports import Filter
from tokenbook.reports import build_report
from tokenbook.reports import report_json
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.tables import report_table
from tokenbook.vault import load_vault

NAME = "report"
HELP = "usage per day, month or session, from the ledgers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind",
        choices=tuple(BY),
        help="one row per day, per month (YYYY-MM) or per session",
    )
    add_vault(p)
    p.add_argument("--json", action="store_true", help="print JSON (documented in the README)")
    p.add_argument("--since", type=parse_day, help="first day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--until", type=parse_day, help="last day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--bet", help="only this bet's ledger (`unassigned` for unclaimed usage)")


def _filter(args: argparse.Namespace, vault: Vault, ledgers: LedgerSet) -> Filter:
    if args.since and args.until and args.since > args.until:
        raise TokenbookError(f"--since {args.since} is after --until {args.until}; swap them")
    known = {UNASSIGNED, *ledgers.files, *(b.id for b in vault.bets)}
    if args.bet is not None and args.bet not in known:
        raise TokenbookError(f"unknown bet `{args.bet}`; known: {', '.join(sorted(known))}")
    return Filter(since=args.since, until=args.until, bet=args.bet)


def run(args: argparse.Namespace) -> int:
    vault = load_vault(vault_path(args.vault))
    ledgers = load_ledgers(vault)
    report = build_report(args.kind, ledgers, PriceBook(vault), _filter(args, vault, ledgers))
    if args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print(report_table(report))
    return 0
