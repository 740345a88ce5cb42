"""`tokenbook sync`: count new log usage into the ledgers, then render."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import log_dirs
from tokenbook.commands.common import vault_path
from tokenbook.sync import SyncResult
from tokenbook.sync import sync

NAME = "sync"
HELP = "count new log usage into the ledgers, then render"
SHOW_SKIPPED = 20


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    add_logs(p)
    p.add_argument("--no-render", action="store_true", help="update ledgers only")
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for another sync's lock before giving up (default 10)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")


def _print(result: SyncResult, quiet: bool) -> None:
    if not quiet:
        print(
            f"read {result.files} log file(s), {result.bytes:,} bytes: "
            f"{result.responses:,} API responses; ledger rows: {result.new_rows} new, "
            f"{result.updated_rows} updated, {result.moved_rows} moved"
        )
        if result.ledgers_written:
            print("ledgers written: " + ", ".join(result.ledgers_written))
        if result.rendered:
            print("rendered: " + ", ".join(result.rendered))
    if result.skipped:
        print(f"skipped {len(result.skipped)} malformed log line(s):", file=sys.stderr)
        for s in result.skipped[:SHOW_SKIPPED]:
            print(f"  {s}", file=sys.stderr)
        if len(result.skipped) > SHOW_SKIPPED:
            print(f"  ... and {len(result.skipped) - SHOW_SKIPPED} more", file=sys.stderr)
    for a in result.ambiguous:
        print(f"ambiguous: {a}", file=sys.stderr)
    for reason in result.unpriced:
        print(f"unpriced: {reason}; add a price under pricing/", file=sys.stderr)


def _warn_missing_logs(dirs: list[Path]) -> None:
    if all(not (d / "projects").is_dir() for d in dirs):
        shown = ", ".join(str(d) for d in dirs)
        print(
            f"warning: no Claude Code logs found (no projects/ folder in {shown}); "
            "pass --logs DIR, where DIR holds projects/",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    dirs = log_dirs(args.logs, root)
    _warn_missing_logs(dirs)
    result = sync(root, dirs, render=not args.no_render, lock_wait=args.wait)
    _print(result, args.quiet)
    return 0
