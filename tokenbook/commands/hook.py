"""`tokenbook hook install|uninstall`: sync after every Claude Code session (and, with
`--guard`, check each prompt and subagent spawn against the budgets: docs/guards.md)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.errors import TokenbookError
from tokenbook.hookcommand import MINIMAL_PATH
from tokenbook.hookcommand import Proof
from tokenbook.hookcommand import program
from tokenbook.hookcommand import prove
from tokenbook.hookcommand import statusline_command
from tokenbook.hookcommand import sync_command
from tokenbook.hooks import guard_command
from tokenbook.hooks import install
from tokenbook.hooks import read_settings
from tokenbook.hooks import record_vault
from tokenbook.hooks import settings_file
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
    p.add_argument(
        "--guard",
        action="store_true",
        help="also run `tokenbook guard` before each prompt and subagent spawn (it warns past "
        "a budget, and blocks only where `guard: block` is set); with uninstall: remove only it",
    )
    p.add_argument(
        "--no-check",
        action="store_true",
        help="write the hook without first running it once the way Claude Code will",
    )


SHOW_LINES = 5


def _indented(text: str) -> str:
    lines = text.splitlines()
    if len(lines) > SHOW_LINES:
        lines = [*lines[:SHOW_LINES], f"... ({len(lines) - SHOW_LINES} more lines)"]
    return "\n".join(f"  {line}" for line in lines)


def _check(command: str, path: Path) -> Proof:
    print(f"checking: running `{command}` once the way Claude Code will ...", flush=True)
    proof = prove(command, environ=os.environ, home=Path.home(), cwd=Path.cwd())
    if proof.ok:
        return proof
    said = _indented(proof.output) if proof.output else "  (it printed nothing)"
    ended = "did not finish" if proof.code < 0 else f"exited {proof.code}"
    raise TokenbookError(
        f"{path}:0: hook not installed: the command {ended} when run as Claude Code runs it "
        f"(through the shell, PATH={MINIMAL_PATH}, the session's JSON on stdin):\n{said}\n"
        "Fix what it says (run the command yourself to see more), then run `tokenbook hook "
        "install` again; nothing was written."
    )


def run(args: argparse.Namespace) -> int:
    path = settings_file(args.scope or "user", Path.home(), Path.cwd())
    if args.action == "uninstall":
        change = uninstall(path, guard_only=args.guard)
        what = "the guard hooks" if args.guard else "tokenbook entries"
        print(f"{path}: {f'removed {what}' if change.changed else 'nothing to remove'}")
        return 0
    root = vault_path(args.vault).expanduser()
    require_vault(root)
    root = root.resolve()
    read_settings(path)  # a settings file we could not write stops us before the check runs
    prog = program()
    command = sync_command(root, prog)
    proof = None if args.no_check else _check(command, path)
    statusline = statusline_command(prog) if args.statusline else None
    guard = guard_command(root, prog) if args.guard else None
    if guard is not None and not args.no_check:
        _check(guard, path)
    change = install(path, command, statusline, guard)
    record = recorded_vault_file(os.environ, Path.home())
    record_vault(record, root)
    state = "updated" if change.changed else "already set up, unchanged"
    print(f"{path}: {state}; SessionEnd runs `{command}`")
    if proof is not None:
        print(
            f"checked: it ran the way Claude Code runs it (PATH={MINIMAL_PATH}, the session's "
            f"JSON on stdin) and exited 0 in {proof.seconds:.1f}s"
        )
        if proof.output:
            print(f"it said:\n{_indented(proof.output)}")
    if guard is not None:
        print(
            f"guard: UserPromptSubmit and PreToolUse (Task|Agent) run `{guard}`; it warns past "
            "a budget and blocks only where `guard: block` is set (docs/guards.md)"
        )
    if statusline is not None and not change.notes:
        print(f"status line: `{statusline}` reads {root} (recorded in {record})")
    for note in change.notes:
        print(f"note: {note}")
    return 0
