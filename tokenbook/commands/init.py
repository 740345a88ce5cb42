"""`tokenbook init DIR`: turn a folder into a ready vault."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from tokenbook.render import render_all
from tokenbook.scaffold import init_vault
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the folder to create or fill")


def run(args: argparse.Namespace) -> int:
    written = init_vault(args.dir, date.today())
    vault = load_vault(args.dir)
    render_all(vault, load_ledgers(vault))
    print(f"created a vault in {args.dir} ({len(written)} files)")
    print(f"next: tokenbook sync --vault {args.dir}")
    return 0
