"""`tokenbook log`: record usage that no log file holds (scripts, other tools)."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.fields import Invalid
from tokenbook.fields import checked_text
from tokenbook.manual import KINDS
from tokenbook.manual import UNKNOWN_MODEL
from tokenbook.manual import Entry
from tokenbook.manual import log_usage
from tokenbook.vault import load_settings
from tokenbook.vault import require_vault

MAX = 10**12  # tokens of one entry: a trillion


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    p.add_argument("--bet", required=True, help="the bet it counts toward (or `unassigned`)")
    p.add_argument(
        "--tokens", type=int, required=True, metavar="N", help=f"input tokens (1 to {MAX:,})"
    )
    p.add_argument("--output", type=int, default=0, metavar="N", help="output tokens (default 0)")
    p.add_argument(
        "--model",
        default=UNKNOWN_MODEL,
        help=f"model id, priced from pricing/ (default `{UNKNOWN_MODEL}`: unpriced)",
    )
    p.add_argument("--kind", choices=KINDS, default="manual", help="recorded as the agent")
    p.add_argument(
        "--iteration",
        action="store_true",
        help="count the entry as an iteration of the bet (by default logged usage is tokens only)",
    )
    p.add_argument("--note", default="", help="what it was (kept in the row's project column)")
    p.add_argument(
        "--date", type=parse_day, help="the day it counts on, 2000 to 2099 (default: today)"
    )


def _check(args: argparse.Namespace) -> None:
    """Every argument in range before anything is read or written."""
    for name, least in (("tokens", 1), ("output", 0)):
        n = getattr(args, name)
        if not least <= n <= MAX:
            raise TokenbookError(
                f"--{name} must be a {'positive ' if least else ''}whole number of tokens "
                f"from {least} to {MAX:,}, got {n:,}"
            )
    for name, limit in (("bet", 64), ("model", 200), ("note", 500)):
        try:
            checked_text(getattr(args, name), limit)
        except Invalid as e:
            raise TokenbookError(f"--{name} {e}") from None


def run(args: argparse.Namespace) -> int:
    _check(args)
    root = vault_path(args.vault)
    require_vault(root)
    day = args.date
    if day is None:
        timezone = load_settings(root, []).timezone
        day = datetime.now(ZoneInfo(timezone)).date()
    entry = Entry(
        bet=args.bet,
        day=day,
        input=args.tokens,
        output=args.output,
        model=args.model,
        kind=args.kind,
        note=args.note,
        iteration=args.iteration,
    )
    logged = log_usage(root, entry)
    if logged.added:
        print(f"logged {entry.input + entry.output:,} tokens to {entry.bet} as {logged.session}")
    else:
        print(f"already logged as {logged.session}; nothing changed (change --note to add another)")
    for alert in logged.alerts:
        print(f"alert: {alert}")
    return 0
