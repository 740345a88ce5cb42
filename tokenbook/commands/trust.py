"""`tokenbook trust [--show|--revoke]`: allow the vault's `alert_command` to run on this machine."""

from __future__ import annotations

import argparse

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.escape import terminal
from tokenbook.trust import default_store
from tokenbook.trust import is_trusted
from tokenbook.trust import revoke
from tokenbook.trust import trust
from tokenbook.vault import load_vault

SETTING = "alert_command"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_vault(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--show", action="store_true", help="show the command and its trust only")
    what.add_argument("--revoke", action="store_true", help="stop trusting the vault's commands")


def run(args: argparse.Namespace) -> int:
    root = vault_path(args.vault)
    store = default_store()
    if args.revoke:
        done = revoke(root, store)
        print(f"{root}: " + ("no longer trusted" if done else "was not trusted; nothing changed"))
        return 0
    command = load_vault(root).settings.alert_command
    if command is None:
        print(f"{root}: no `{SETTING}` in tokenbook.md; nothing to trust")
        return 0
    print(f"`{SETTING}` of {root}:")
    print("".join(f"    {line}\n" for line in terminal(command).split("\n")), end="")
    if args.show:
        state = "trusted" if is_trusted(root, command, store) else "not trusted"
        print(f"{state} on this machine (trust is kept in {store})")
        return 0
    trust(root, command, store)
    print(f"trusted: sync runs it for each new alert, until the command changes ({store})")
    return 0
