"""`tokenbook check`: validate every vault file and ledger."""

from __future__ import annotations

import argparse
import sys

from tokenbook.cache import SyncCache
from tokenbook.checks import plan_warnings
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.ledgercheck import check_ledgers
from tokenbook.pricing import PriceBook
from tokenbook.sync import check_vault

SHOW_PROBLEMS = 50


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault, ledgers = check_vault(root)
    book = PriceBook(vault)
    unpriced = sorted(
        {p.unpriced for p in map(book.price, (x.row for x in ledgers.rows.values()))} - {""}
    )
    for problem in plan_warnings(vault):
        print(f"{problem.path}:{problem.line}: warning: {problem.message}", file=sys.stderr)
    for reason in unpriced:
        print(f"warning: {reason}; add a price under {root / 'pricing'}", file=sys.stderr)
    findings = check_ledgers(ledgers)
    for problem in findings.warnings:
        print(f"{problem.path}:{problem.line}: warning: {problem.message}", file=sys.stderr)
    for note in findings.notes:
        print(f"note: {note}")
    known = SyncCache.load(root).problems()
    if known:
        print(f"{len(known)} log line(s) or file(s) skipped by syncs so far:", file=sys.stderr)
        for p in known[:SHOW_PROBLEMS]:
            print(f"  {p}", file=sys.stderr)
        if len(known) > SHOW_PROBLEMS:
            print(f"  ... and {len(known) - SHOW_PROBLEMS} more", file=sys.stderr)
    if findings.errors:
        for problem in findings.errors:
            print(problem, file=sys.stderr)
        return 1
    print(
        f"{root}: ok: {len(vault.cycles)} cycle(s), {len(vault.bets)} bet(s), "
        f"{len(vault.models)} priced model(s), {len(vault.plans)} plan(s), "
        f"{len(ledgers.rows):,} ledger row(s) in {len(ledgers.files)} ledger(s)"
    )
    return 0
