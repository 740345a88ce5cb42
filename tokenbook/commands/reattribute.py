"""`tokenbook reattribute [--write]`: move usage already in bets by today's rules."""

from __future__ import annotations

import argparse

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.reattribute import reattribute


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    p.add_argument("--write", action="store_true", help="write the moves (default: preview)")
    p.add_argument(
        "--bet", action="append", default=[], metavar="BET", help="only move usage out of BET"
    )


def run(args: argparse.Namespace) -> int:
    result = reattribute(vault_path(args.vault), write=args.write, bets=tuple(args.bet))
    if not result.moves:
        print("nothing to move: every response is where today's rules put it")
        return 0
    for m in result.moves:
        print(m if result.written else f"would be {m}")
    if result.written:
        print("ledgers written: " + ", ".join(result.ledgers_written))
        for alert in result.alerts:
            print(f"alert: {alert}")
    else:
        print("(preview: nothing written; run again with --write to move it)")
    return 0
