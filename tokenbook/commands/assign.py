"""`tokenbook assign SESSION BET`: count a session toward a bet, visibly and for good."""

from __future__ import annotations

import argparse

from tokenbook.assign import assign_session
from tokenbook.assign import preview
from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "session", help="the session id, or a unique prefix as `tokenbook report session` shows it"
    )
    p.add_argument("bet", help="the bet that gets it")
    p.add_argument("--dry-run", action="store_true", help="show the session; write nothing")
    add_vault(p)


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    if args.dry_run:
        print(preview(root, args.session))
        print(f"(dry run: nothing written; without --dry-run it moves to {args.bet})")
        return 0
    result = assign_session(root, args.session, args.bet)
    print(result.info)
    edited = ", ".join(result.edited) or "no bet file (already listed)"
    print(
        f"{result.info.session} → {result.bet}: edited {edited}; "
        f"moved {result.moved_responses:,} response(s)"
    )
    for m in result.moves.values():
        print(f"  {m}")
    for alert in result.alerts:
        print(f"alert: {alert}")
    return 0
