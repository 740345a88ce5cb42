"""The command line: pick the command, import only its module, run it, map errors to exits.

Each command is a module `tokenbook.commands.<name>` with `add_arguments(parser)` and
`run(args) -> int`; only the chosen one is imported, so a command does not pay for the others'
dependencies (`tokenbook --help` lists them all from the table below).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.escape import terminal
from tokenbook.fileio import os_error_text

COMMANDS: dict[str, str] = {
    "init": "turn a folder into a ready vault",
    "sync": "count new log usage into the ledgers, then render",
    "render": "regenerate cost-dashboard.md and progress/ files",
    "check": "validate every vault file and ledger",
    "report": "usage per day, week, month, session, bet, model, project, command, skill, agent, "
    "run kind or 5-hour block",
    "status": "the active cycle: each bet against its appetite, alerts, pace, plan windows",
    "estimate": "medians and 80%% intervals of past cost, backtested; plans; --record; what-if",
    "preflight": "what a context will cost before it is sent, and what to cut from it",
    "hook": "add or remove the Claude Code SessionEnd hook that runs sync (and the status line)",
    "statusline": "print one status line for Claude Code (reads its session JSON on stdin)",
    "guard": "warn (or block, where asked) when a session or its bet passes its budget (a hook)",
    "diff": "markdown for a PR description: usage, appetite, sessions, alerts, prices vs REV",
    "log": "add usage that no log records (API calls from scripts, other tools) to a bet's ledger",
    "assign": "move a session's usage to a bet (edits `sessions:` lists, moves its responses)",
    "reattribute": "preview (or --write) moving usage already in bets by today's match rules",
    "export": "print every ledger row with its cost, as CSV or JSON (or into SQLite)",
    "completion": "print a shell completion script for bash, zsh or fish",
    "pricing": "update: add dated prices for the models in use from an offline price database",
    "cycle": "write the next cycles of a repeating cycle (`next`), or list the cycles",
    "doctor": "check that usage is being counted: hook, logs, prices, cycle, git, cache",
    "trust": "allow the vault's `alert_command` to run on this machine (like `direnv allow`)",
}


def version() -> str:
    """The installed distribution's version, else (run from a source tree) the package's."""
    from importlib import metadata

    try:
        return metadata.version("tokenbook")
    except metadata.PackageNotFoundError:
        from tokenbook import __version__

        return __version__


def command(name: str) -> ModuleType:
    return import_module(f"tokenbook.commands.{name}")


class _Version(argparse.Action):
    """`--version`, looked up only when asked (importlib.metadata costs the status line 30 ms)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"tokenbook {version()}")
        parser.exit()


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (`only`) one with that subcommand alone: its arguments, help and
    errors are the same, and the main parser lists commands only when none is chosen."""
    parser = argparse.ArgumentParser(
        prog="tokenbook", description="Token budgets for coding agents, kept in git."
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS.items():
        if only is None or name == only:  # a parser costs ~0.5 ms: the others are not made
            command(name).add_arguments(sub.add_parser(name, help=text, description=text))
    return parser


def error_text(e: TokenbookError) -> str:
    """The message, one line per problem; text from files and logs cannot drive the terminal."""
    if isinstance(e, VaultError):
        return "\n".join(terminal(str(p), keep_newlines=False) for p in e.problems)
    return terminal(str(e))


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_in if not a.startswith("-")), None)
    args = _parser(chosen if chosen in COMMANDS else None).parse_args(args_in)
    try:
        code: int = command(args.command).run(args)
        return code
    except TokenbookError as e:
        print(error_text(e), file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `tokenbook report daily | head`: before OSError, its base
        sys.stderr.close()
        return 141
    except OSError as e:  # the file system failed us: one line naming the path, no traceback
        print(terminal(os_error_text(e), keep_newlines=False), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
