"""`tokenbook cycle next|list`: write the next cycles of a repeating one; list the cycles."""

from __future__ import annotations

import argparse
from datetime import date

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import parse_day
from tokenbook.commands.common import vault_path
from tokenbook.cycles import current_cycle
from tokenbook.cycles import cycle_warning
from tokenbook.cycles import last_cycle
from tokenbook.cycles import parse_repeat
from tokenbook.cycles import plan_next
from tokenbook.cycles import repeat_of
from tokenbook.cycles import write_cycles
from tokenbook.fields import Invalid
from tokenbook.fileio import vault_lock
from tokenbook.model import Cycle
from tokenbook.model import Repeat
from tokenbook.model import Vault
from tokenbook.vault import load_vault


def _repeat(value: str) -> Repeat:
    try:
        return parse_repeat(value)
    except Invalid as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=("next", "list"),
        help="next: write the next cycle files, up to the one holding today; list: show cycles",
    )
    add_vault(p)
    p.add_argument(
        "--repeat",
        type=_repeat,
        metavar="R",
        help="next: repeat this way (monthly, weekly, every N days) and write it into the new "
        "files (default: the last cycle's `repeat:`, else the settings' `cycle_repeat:`)",
    )
    p.add_argument("--as-of", type=parse_day, help="the day taken as today (default: today)")


def _budget(c: Cycle) -> str:
    parts = [f"${c.budget_usd:,f}"] if c.budget_usd is not None else []
    parts += [f"{c.budget_tokens:,} tokens"] if c.budget_tokens is not None else []
    return " + ".join(parts) or "no budget"


def _line(vault: Vault, c: Cycle, today: Cycle | None) -> str:
    repeat = repeat_of(vault, c)
    notes = [f"repeats {repeat}"] if repeat and c == last_cycle(vault) else []
    if c.derived_from:
        notes.append(f"no file yet: made from `{c.derived_from}`")
    mark = "  <- today" if today is not None and today.id == c.id else ""
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"{c.id:<10} {c.start} -> {c.end}  {_budget(c)}{extra}{mark}"


def _list(vault: Vault, today: date) -> int:
    current = current_cycle(vault, today)
    shown = [*vault.cycles, *([current] if current and current.derived_from else [])]
    for c in shown:
        print(_line(vault, c, current))
    warning = cycle_warning(vault, today)
    if warning:
        print(f"warning: {warning}")
    return 0


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    today: date = args.as_of or date.today()
    vault = load_vault(root)
    if args.action == "list":
        return _list(vault, today)
    with vault_lock(root):
        planned = plan_next(vault, today, args.repeat)
        last = last_cycle(vault)
        own = last.repeat if last and last.repeat and last.repeat.unit != "never" else None
        written = write_cycles(vault, planned, args.repeat or own)
    for path, cycle in zip(written, planned, strict=True):
        print(f"wrote {path}: {cycle.start} -> {cycle.end}, {_budget(cycle)}")
    return 0
