"""The command line: parse arguments, make one library call, print, pick the exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tokenbook.errors import TokenbookError
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.render import render_all
from tokenbook.render import stale_files
from tokenbook.reports import Filter
from tokenbook.reports import build_report
from tokenbook.reports import report_json
from tokenbook.scaffold import init_vault
from tokenbook.sources import claude_code
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.sync import SyncResult
from tokenbook.sync import check_vault
from tokenbook.sync import sync
from tokenbook.tables import report_table
from tokenbook.vault import load_vault

SHOW_SKIPPED = 20


def _day(value: str) -> date:
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYYMMDD"
        ) from None


def _vault_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--vault",
        type=Path,
        default=None,
        help="the vault folder (default: $TOKENBOOK_VAULT, else ./vault)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenbook", description="Token budgets for coding agents, kept in git."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="turn a folder into a ready vault")
    p.add_argument("dir", type=Path, help="the folder to create or fill")

    p = sub.add_parser("sync", help="count new log usage into the ledgers, then render")
    _vault_arg(p)
    p.add_argument(
        "--logs",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a Claude config dir holding projects/ (repeatable; default: the vault's `logs:` "
        "setting, else $CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude)",
    )
    p.add_argument("--no-render", action="store_true", help="update ledgers only")
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for another sync's lock before giving up (default 10)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")

    p = sub.add_parser("render", help="regenerate cost-dashboard.md and progress/ files")
    _vault_arg(p)
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if any is stale")
    p.add_argument("--as-of", type=_day, help="render as of this day (default: latest usage)")

    p = sub.add_parser("check", help="validate every vault file and ledger")
    _vault_arg(p)

    p = sub.add_parser("report", help="usage per day, month or session, from the ledgers")
    p.add_argument(
        "kind",
        choices=("daily", "monthly", "session"),
        help="one row per day, per month (YYYY-MM) or per session",
    )
    _vault_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON (documented in the README)")
    p.add_argument("--since", type=_day, help="first day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--until", type=_day, help="last day to include (YYYY-MM-DD or YYYYMMDD)")
    p.add_argument("--bet", help="only this bet's ledger (`unassigned` for unclaimed usage)")
    return parser


def _vault_path(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    env = os.environ.get("TOKENBOOK_VAULT")
    return Path(env) if env else Path("vault")


def _log_dirs(args: argparse.Namespace, root: Path) -> list[Path]:
    if args.logs:
        return list(args.logs)
    configured = load_vault(root).settings.logs
    if configured:
        return [Path(os.path.normpath(root / Path(d).expanduser())) for d in configured]
    return claude_code.default_dirs(os.environ, Path.home())


def _print_sync(result: SyncResult, quiet: bool) -> None:
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
    missing = [d for d in dirs if not (d / "projects").is_dir()]
    if len(missing) == len(dirs):
        shown = ", ".join(str(d) for d in dirs)
        print(
            f"warning: no Claude Code logs found (no projects/ folder in {shown}); "
            "pass --logs DIR, where DIR holds projects/",
            file=sys.stderr,
        )


def _cmd_sync(args: argparse.Namespace) -> int:
    root = _vault_path(args.vault)
    dirs = _log_dirs(args, root)
    _warn_missing_logs(dirs)
    result = sync(root, dirs, render=not args.no_render, lock_wait=args.wait)
    _print_sync(result, args.quiet)
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    root = _vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    if args.check:
        stale = stale_files(vault, ledgers, args.as_of)
        for name in stale:
            print(
                f"{root / name}:0: out of date; run `tokenbook render --vault {root}`",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for name in render_all(vault, ledgers, args.as_of):
        print(f"rendered {name}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    root = _vault_path(args.vault)
    vault, ledgers = check_vault(root)
    book = PriceBook(vault)
    unpriced = sorted(
        {p.unpriced for p in map(book.price, (x.row for x in ledgers.rows.values()))} - {""}
    )
    for reason in unpriced:
        print(f"warning: {reason}; add a price under {root / 'pricing'}", file=sys.stderr)
    print(
        f"{root}: ok: {len(vault.cycles)} cycle(s), {len(vault.bets)} bet(s), "
        f"{len(vault.models)} priced model(s), {len(vault.plans)} plan(s), "
        f"{len(ledgers.rows):,} ledger row(s) in {len(ledgers.files)} ledger(s)"
    )
    return 0


def _filter(args: argparse.Namespace, vault: Vault, ledgers: LedgerSet) -> Filter:
    if args.since and args.until and args.since > args.until:
        raise TokenbookError(f"--since {args.since} is after --until {args.until}; swap them")
    known = {UNASSIGNED, *ledgers.files, *(b.id for b in vault.bets)}
    if args.bet is not None and args.bet not in known:
        raise TokenbookError(f"unknown bet `{args.bet}`; known: {', '.join(sorted(known))}")
    return Filter(since=args.since, until=args.until, bet=args.bet)


def _cmd_report(args: argparse.Namespace) -> int:
    vault = load_vault(_vault_path(args.vault))
    ledgers = load_ledgers(vault)
    report = build_report(args.kind, ledgers, PriceBook(vault), _filter(args, vault, ledgers))
    if args.json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print(report_table(report))
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    written = init_vault(args.dir, date.today())
    vault = load_vault(args.dir)
    render_all(vault, load_ledgers(vault))
    print(f"created a vault in {args.dir} ({len(written)} files)")
    print(f"next: tokenbook sync --vault {args.dir}")
    return 0


COMMANDS = {
    "init": _cmd_init,
    "sync": _cmd_sync,
    "render": _cmd_render,
    "check": _cmd_check,
    "report": _cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TokenbookError as e:
        print(e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
