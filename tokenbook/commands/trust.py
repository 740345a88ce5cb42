"""`tokenbook trust [--show|--revoke]`: allow the vault's `alert_command` to run on this machine."""

from __future__ import annotations

import argparse

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import logs_setting
from tokenbook.commands.common import vault_path
from tokenbook.escape import terminal
from tokenbook.trust import default_store
from tokenbook.trust import is_trusted
from tokenbook.trust import revoke
from tokenbook.trust import trust_all
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
    settings = load_vault(root).settings
    found = []
    if settings.alert_command is not None:
        found.append((SETTING, settings.alert_command, "sync runs it for each new alert"))
    if settings.logs:
        text = logs_setting(list(settings.logs))
        found.append(("logs", text, "sync reads these folders"))
    if not found:
        print(f"{root}: no `{SETTING}` or `logs:` in tokenbook.md; nothing to trust")
        return 0
    for setting, command, _ in found:
        print(f"`{setting}` of {root}:")
        print("".join(f"    {line}\n" for line in terminal(command).split("\n")), end="")
        if args.show:
            state = "trusted" if is_trusted(root, command, store) else "not trusted"
            print(f"{state} on this machine (trust is kept in {store})")
    if args.show:
        return 0
    trust_all(root, [command for _, command, _ in found], store)
    for setting, _, effect in found:
        print(f"trusted `{setting}`: {effect}, until it changes ({store})")
    return 0
