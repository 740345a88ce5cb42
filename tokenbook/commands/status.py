"""`tokenbook status`: the active cycle, each bet against its appetite, alerts, plan windows."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tokenbook import jsontext
from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import log_dirs
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.limits import read_limits
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import from_events
from tokenbook.model import Vault
from tokenbook.noop import known_dirs
from tokenbook.plans import local_day
from tokenbook.plans import window_bounds
from tokenbook.status import build_status
from tokenbook.status import status_json
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.term import colour
from tokenbook.term import width
from tokenbook.vault import load_vault

STRICT_EXIT = 2


def _now(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a datetime; use 2026-11-18T12:00Z"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    add_logs(p)
    p.add_argument("--json", action="store_true", help="print JSON (a documented interface)")
    p.add_argument(
        "--strict", action="store_true", help=f"exit {STRICT_EXIT} if any bet is at or over 100%%"
    )
    p.add_argument("--as-of", type=parse_day, help="the day to report on (default: today)")
    p.add_argument("--now", type=_now, help="the moment for plan windows (default: the clock)")


def _responses(
    vault: Vault, dirs: list[Path], ledgers: LedgerSet, now: datetime
) -> Responses | None:
    """The responses in the plan windows, when any log dir is readable: from the ledgers'
    records of what the logs hold, and the log bytes the last sync did not read (`logview.py`).
    Without plan windows, none are needed."""
    if not any((d / "projects").is_dir() for d in dirs):
        return None
    tz = ZoneInfo(vault.settings.timezone)
    starts = [window_bounds(w, now, tz)[0] for plan in vault.plans for w in plan.windows]
    if not starts:
        return from_events([])
    from tokenbook.logview import log_responses

    return log_responses(vault.root, dirs, ledgers, since=min(starts))


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    now = args.now or datetime.now(UTC)
    as_of = args.as_of or local_day(now, vault.settings.timezone)
    limits, _ = read_limits(root)
    dirs = known_dirs(str(root), [str(p) for p in args.logs])
    found = [Path(d) for d in dirs] if dirs is not None else log_dirs(args.logs, root)
    responses = _responses(vault, found, ledgers, now)
    status = build_status(vault, ledgers, as_of, now, responses, limits)
    if args.json:
        print(jsontext.dumps(status_json(status)))
    else:
        from tokenbook.status_text import status_text

        print(status_text(status, width(sys.stdout, os.environ), colour(sys.stdout, os.environ)))
    return STRICT_EXIT if args.strict and status.over else 0
