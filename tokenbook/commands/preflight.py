"""`tokenbook preflight PATH...`: what a context will cost before it is sent, and what to cut."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path

from tokenbook.commands.common import add_logs
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import log_dirs
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.preflight import show
from tokenbook.preflight.cache import vault_cache
from tokenbook.preflight.calibrate import MIN_PAIRS
from tokenbook.preflight.calibrate import calibrate
from tokenbook.preflight.count import CALIBRATION_FILE
from tokenbook.preflight.count import load_calibration
from tokenbook.preflight.count import save_calibration
from tokenbook.preflight.estimate import Request
from tokenbook.preflight.estimate import build
from tokenbook.preflight.pairs import collect
from tokenbook.preflight.scan import Scanner
from tokenbook.preflight.session import session_context
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", type=Path, help="the files and folders you will send")
    prompt = p.add_mutually_exclusive_group()
    prompt.add_argument("--prompt", help="the prompt you are about to send")
    prompt.add_argument("--prompt-file", type=Path, metavar="F", help="read the prompt from F")
    p.add_argument("--session", help="continue this session: add the conversation so far")
    p.add_argument("--bet", help="show the share of this bet's remaining appetite")
    p.add_argument("--model", help="price for this model (default: the session's, else the latest)")
    p.add_argument("--json", action="store_true", help="print JSON (documented in the README)")
    p.add_argument("--apply", action="store_true", help="print the trimmed file list, one a line")
    p.add_argument(
        "--calibrate",
        action="store_true",
        help=f"fit chars-per-token to your logs and write {CALIBRATION_FILE} into the vault",
    )
    p.add_argument(
        "--as-of", type=parse_day, help="price and budget as of this day (default: today)"
    )
    add_logs(p)
    add_vault(p)


def _prompt(args: argparse.Namespace) -> str | None:
    if args.prompt_file is None:
        return str(args.prompt) if args.prompt is not None else None
    try:
        return str(args.prompt_file.read_text(encoding="utf-8", errors="replace"))
    except OSError as e:
        raise TokenbookError(
            f"{args.prompt_file}: cannot read the prompt file ({e.strerror})"
        ) from None


def _calibrate(args: argparse.Namespace, root: Path) -> None:
    history = collect(log_dirs(args.logs, root))
    pairs = history.pairs
    fitted = calibrate(pairs, history.starts)
    if fitted is None:
        print(
            f"not enough history to calibrate: {len(pairs)} request pairs (need {MIN_PAIRS}); "
            "keeping the default ratios",
            file=sys.stderr,
        )
        return
    written = save_calibration(root, fitted)
    state = "written" if written else "unchanged"
    print(f"{root / CALIBRATION_FILE} {state}: {show.calibration_line(fitted)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    vault = load_vault(root)
    if args.calibrate:
        _calibrate(args, root)
        if not args.paths and args.prompt is None and args.prompt_file is None:
            return 0
    if not args.paths and args.prompt is None and args.prompt_file is None and not args.session:
        raise TokenbookError("nothing to weigh: give PATH(s), --prompt, --prompt-file or --session")
    ledgers = load_ledgers(vault)
    cache = vault_cache(root)
    scanner = Scanner(cache)
    found = [f for path in args.paths for f in scanner.scan(path)]
    cache.save()
    session = session_context(log_dirs(args.logs, root), args.session) if args.session else None
    as_of: date = args.as_of or date.today()
    now = datetime.now(UTC) if args.as_of is None else datetime.combine(as_of, time.max, UTC)
    request = Request(
        paths=found,
        roots=[str(p) for p in args.paths],
        prompt=_prompt(args),
        session=session,
        bet=args.bet,
        model=args.model,
        as_of=as_of,
        now=now,
    )
    pre = build(vault, ledgers, load_calibration(root), request)
    if args.apply:
        print("\n".join(pre.kept()))
        cut = sum(len(s.files) for s, _ in pre.suggestions)
        print(f"left out {cut} of {len(pre.files)} files", file=sys.stderr)
    elif args.json:
        print(json.dumps(show.as_json(pre), indent=2, ensure_ascii=False))
    else:
        print(show.text(pre))
    return 0
