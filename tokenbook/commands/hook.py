"""`tokenbook hook install|uninstall`: sync after every Claude Code session."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.hooks import install
from tokenbook.hooks import record_vault
from tokenbook.hooks import settings_file
from tokenbook.hooks import sync_command
from tokenbook.hooks import uninstall
from tokenbook.statusline import recorded_vault_file
from tokenbook.vault import require_vault


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("install", "uninstall"), help="add or remove the hook")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument(
        "--user",
        dest="scope",
        action="store_const",
        const="user",
        help="edit ~/.claude/settings.json (the default)",
    )
    scope.add_argument(
        "--project",
        dest="scope",
        action="store_const",
        const="project",
        help="edit ./.claude/settings.json (this project only)",
    )
    add_vault(p)
    p.add_argument(
        "--statusline",
        action="store_true",
        help="also set Claude Code's status line to `tokenbook statusline` (install only)",
    )


def run(args: argparse.Namespace) -> int:
    path = settings_file(args.scope or "user", Path.home(), Path.cwd())
    if args.action == "uninstall":
        change = uninstall(path)
        print(f"{path}: {'removed tokenbook entries' if change.changed else 'nothing to remove'}")
        return 0
    root = vault_path(args.vault).expanduser()
    require_vault(root)
    root = root.resolve()
    change = install(path, root, statusline=args.statusline)
    record = recorded_vault_file(os.environ, Path.home())
    record_vault(record, root)
    state = "updated" if change.changed else "already set up, unchanged"
    print(f"{path}: {state}; SessionEnd runs `{sync_command(root)}`")
    if args.statusline and not change.notes:
        print(f"status line: `tokenbook statusline` reads {root} (recorded in {record})")
    for note in change.notes:
        print(f"note: {note}")
    return 0
