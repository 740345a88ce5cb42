"""`tokenbook check`: validate every vault file and ledger."""

from __future__ import annotations

import argparse
import sys

from tokenbook.checks import plan_warnings
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.pricing import PriceBook
from tokenbook.sync import check_vault


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
    print(
        f"{root}: ok: {len(vault.cycles)} cycle(s), {len(vault.bets)} bet(s), "
        f"{len(vault.models)} priced model(s), {len(vault.plans)} plan(s), "
        f"{len(ledgers.rows):,} ledger row(s) in {len(ledgers.files)} ledger(s)"
    )
    return 0
