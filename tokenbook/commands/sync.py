"""`tokenbook sync`: count new log usage into the ledgers, then render."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tokenbook.commands.common import CLAUDE_CODE
from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import other_dirs
from tokenbook.commands.common import source_dirs
from tokenbook.commands.common import vault_path
from tokenbook.noop import known_resolution
from tokenbook.noop import resolution
from tokenbook.sync import SyncResult
from tokenbook.sync import sync
from tokenbook.trust import check as check_trust
from tokenbook.vault import load_vault

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
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print only what is new: problems, moves"
    )
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="read every log again; records replace migrated format-1 rows of the same "
        "session and day (what `check` suggests for a suspected double count)",
    )


class ProgressBar:
    """`reading logs [#####-----] 52% 312/600 MB, 12/40 files` on stderr, redrawn in place."""

    WIDTH = 30
    MIN_BYTES = 50_000_000  # smaller reads finish before a bar helps

    def __init__(self) -> None:
        self.shown = False
        self.last = -1

    def __call__(self, done: int, total: int, files_done: int, files_total: int) -> None:
        if total < self.MIN_BYTES:
            return
        percent = min(100, done * 100 // max(total, 1))
        if percent == self.last and files_done != files_total:
            return
        self.last = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(
            f"\rreading logs [{bar}] {percent:3d}% {done / 1e6:,.0f}/{total / 1e6:,.0f} MB, "
            f"{files_done}/{files_total} files"
        )
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _print(result: SyncResult, quiet: bool) -> None:
    """Without `--quiet` a summary; with it, only what is new: problems first seen in this sync,
    usage that moved, prices newly missing. Known problems are summed up in one line."""
    if not quiet:
        print(
            f"read {result.read_files} of {result.files} log file(s), {result.bytes:,} new bytes: "
            f"{result.new_responses:,} new API response(s), {result.updated_responses:,} updated; "
            f"the ledgers count {result.responses:,}"
        )
        if result.migrated:
            print("migrated to ledger format 2: " + ", ".join(result.migrated))
        if result.ledgers_written:
            print("ledgers written: " + ", ".join(result.ledgers_written))
        if result.rendered:
            print("rendered: " + ", ".join(result.rendered))
    for m in result.moved:
        print(m)
    if result.cycle_warning and (not quiet or result.new_responses):
        print(f"warning: {result.cycle_warning}", file=sys.stderr)
    _print_problems(result, quiet)


def _print_problems(result: SyncResult, quiet: bool) -> None:
    if result.skipped:
        what = "malformed log line(s)"
        if any(s.line == 0 for s in result.skipped):
            what = "unreadable log file(s), folder(s) or line(s)"
        print(f"skipped {len(result.skipped)} {what}:", file=sys.stderr)
        for s in result.skipped[:SHOW_SKIPPED]:
            print(f"  {s}", file=sys.stderr)
        if len(result.skipped) > SHOW_SKIPPED:
            print(f"  ... and {len(result.skipped) - SHOW_SKIPPED} more", file=sys.stderr)
    elif result.skipped_total and not quiet:
        print(
            f"{result.skipped_total} log line(s) skipped in earlier syncs "
            "(`tokenbook check` lists them)",
            file=sys.stderr,
        )
    if not quiet or result.new_responses:
        for a in result.ambiguous:
            print(f"ambiguous: {a}", file=sys.stderr)
    for reason in result.unpriced if not quiet else result.new_unpriced:
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
    known = known_resolution(str(root), [str(p) for p in args.logs])
    if known is not None:  # found as the last sync found them (no agent module to load)
        found = {CLAUDE_CODE: [Path(p) for p in known[1]]}
        found |= {k: [Path(p) for p in v] for k, v in known[2].items()}
    else:
        found = source_dirs(args.logs, root)
        configured = () if args.logs else load_vault(root).settings.logs
        known = resolution(root, args.logs, found, configured)
    dirs = found.get(CLAUDE_CODE, [])
    if not other_dirs(found):
        _warn_missing_logs(dirs)
    bar = ProgressBar() if sys.stderr.isatty() and not args.quiet else None
    try:
        result = sync(
            root,
            dirs,
            render=not args.no_render,
            lock_wait=args.wait,
            progress=bar,
            rebuild=args.rebuild,
            others=other_dirs(found),
            resolution=known,
        )
    finally:
        if bar is not None:
            bar.close()
    _print(result, args.quiet)
    _alert(root, result)
    return 0


def _alert(root: Path, result: SyncResult) -> None:
    """Print each threshold this sync crossed and run the vault's `alert_command` for it."""
    if not result.alerts:
        return
    from tokenbook.alerts import run_alert_command

    command = load_vault(root).settings.alert_command
    untrusted = check_trust("alert_command", command, root) if command else None
    if untrusted is not None:  # said once, not once per alert
        print(f"warning: {untrusted}", file=sys.stderr)
        command = None
    for alert in result.alerts:
        print(f"alert: {alert}")
        failed = run_alert_command(command, alert, root) if command else None
        if failed:
            print(f"warning: {failed}", file=sys.stderr)
