"""`tokenbook init DIR`: turn a folder into a ready vault, with cycles for past months of usage."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from tokenbook.history import usage_months
from tokenbook.render import render_all
from tokenbook.scaffold import init_vault
from tokenbook.sources import claude_code
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the folder to create or fill")
    p.add_argument(
        "--logs",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a Claude config dir holding projects/ to look for past usage in (repeatable; "
        "default: $CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude)",
    )
    p.add_argument(
        "--no-history",
        action="store_true",
        help="write only the current month's cycle, none for past months with usage",
    )


def _past_months(args: argparse.Namespace, today: date) -> tuple[list[date], list[Path]]:
    if args.no_history:
        return [], []
    dirs = list(args.logs) or claude_code.default_dirs(os.environ, Path.home())
    months = usage_months(claude_code.discover(dirs), "UTC")  # init's timezone
    return [m for m in months if m < today.replace(day=1)], [d for d in dirs if d.is_dir()]


def run(args: argparse.Namespace) -> int:
    today = date.today()
    past, dirs = _past_months(args, today)
    written = init_vault(args.dir, today, past)
    vault = load_vault(args.dir)
    render_all(vault, load_ledgers(vault))
    print(f"created a vault in {args.dir} ({len(written)} files)")
    if past:
        months = ", ".join(f"{m:%Y-%m}" for m in past)
        print(f"past usage found in {', '.join(map(str, dirs))}: a cycle for each of {months}")
    print(f"next: tokenbook sync --vault {args.dir}")
    return 0
