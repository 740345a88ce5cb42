"""`tokenbook render [--check]`: regenerate the dashboard and progress files."""

from __future__ import annotations

import argparse
import sys

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.fileio import vault_lock
from tokenbook.render import render_all
from tokenbook.render import stale_files
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if any is stale")
    p.add_argument("--as-of", type=parse_day, help="render as of this day (default: latest usage)")


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    if args.check:
        vault = load_vault(root)
        stale = stale_files(vault, load_ledgers(vault), args.as_of)
        for name in stale:
            print(
                f"{root / name}:0: out of date; run `tokenbook render --vault {root}`",
                file=sys.stderr,
            )
        return 1 if stale else 0
    require_vault(root)
    with vault_lock(root):  # a sync running now must not be overwritten by older ledgers
        vault = load_vault(root)
        written = render_all(vault, load_ledgers(vault), args.as_of)
    for name in written:
        print(f"rendered {name}")
    return 0
