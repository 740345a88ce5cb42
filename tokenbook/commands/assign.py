"""`tokenbook assign SESSION BET`: count a session toward a bet, visibly and for good."""

from __future__ import annotations

import argparse

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.manual import assign_session


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", help="the session id (as in `tokenbook report session`)")
    p.add_argument("bet", help="the bet that gets it")
    add_vault(p)


def run(args: argparse.Namespace) -> int:
    result = assign_session(vault_path(args.vault), args.session, args.bet)
    edited = ", ".join(result.edited) or "no bet file (already listed)"
    print(f"{args.session} → {result.bet}: edited {edited}; moved {result.moved_rows} row(s)")
    if result.session_rows == 0:
        print("note: no ledger row of this session yet; sync will put its rows there")
    return 0
