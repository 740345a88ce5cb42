"""`tokenbook export --csv|--json|--sqlite FILE`: ledger rows with their cost."""

from __future__ import annotations

import argparse
import sys

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import path_arg
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.export import COLUMNS
from tokenbook.export import export_rows
from tokenbook.export import to_csv
from tokenbook.export import to_json
from tokenbook.export_sqlite import TABLE
from tokenbook.export_sqlite import write_sqlite
from tokenbook.model import UNASSIGNED
from tokenbook.pricing import PriceBook
from tokenbook.reports import Filter
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    fmt = p.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_true", help="comma-separated, one header line")
    fmt.add_argument("--json", action="store_true", help='JSON: {"rows": [...]}')
    fmt.add_argument(
        "--sqlite",
        type=path_arg,
        metavar="FILE",
        help="write a SQLite database with a table `usage` (the CSV's columns); replaces only "
        "a file an earlier export wrote",
    )
    p.add_argument("--since", type=parse_day, help="first day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--until", type=parse_day, help="last day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--bet", help="only this bet's ledger (`unassigned` for unclaimed usage)")


def run(args: argparse.Namespace) -> int:
    if args.since and args.until and args.since > args.until:
        raise TokenbookError(f"--since {args.since} is after --until {args.until}; swap them")
    vault = load_vault(vault_path(args.vault))
    ledgers = load_ledgers(vault)
    known = {UNASSIGNED, *ledgers.files, *(b.id for b in vault.bets)}
    if args.bet is not None and args.bet not in known:
        raise TokenbookError(f"unknown bet `{args.bet}`; known: {', '.join(sorted(known))}")
    keep = Filter(since=args.since, until=args.until, bet=args.bet)
    records = export_rows(ledgers, PriceBook(vault), keep)
    if args.sqlite is not None:
        write_sqlite(COLUMNS, records, args.sqlite)
        print(f"wrote {len(records):,} row(s) to {args.sqlite}, table `{TABLE}`")
        return 0
    sys.stdout.write(to_csv(records) if args.csv else to_json(records))
    return 0
