"""`tokenbook statusline`: the one-line status Claude Code shows under its prompt.

Claude Code runs it often with the session's JSON on stdin, so it imports only light modules
(`tokenbook.commands.launch` runs it without loading the rest of the CLI, or even argparse),
reads one small cached summary, and always exits 0: any problem prints a fallback line instead.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC
from datetime import datetime

from tokenbook.statusline import find_root
from tokenbook.statusline import status_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from tokenbook.statusline import Folder

VAULT_HELP = "the vault folder (default: $TOKENBOOK_VAULT, else the one `hook install` recorded)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pathlib import Path

    p.add_argument("--vault", type=Path, default=None, help=VAULT_HELP)


def _answer(vault: Folder | None) -> int:
    try:
        stdin_text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    except (OSError, ValueError, UnicodeDecodeError):
        stdin_text = ""
    root = find_root(vault, os.environ, os.path.expanduser("~"))
    print(status_line(stdin_text, root, datetime.now(UTC)))
    return 0


def run(args: argparse.Namespace) -> int:
    vault: Folder | None = args.vault
    return _answer(vault)


def main(argv: list[str]) -> int:
    """The fast path of the `tokenbook` console script: `[--vault DIR]` parsed by hand; anything
    else goes through argparse for the usual messages."""
    if not argv:
        return _answer(None)
    if len(argv) == 2 and argv[0] == "--vault":
        return _answer(argv[1])
    if len(argv) == 1 and argv[0].startswith("--vault="):
        return _answer(argv[0].removeprefix("--vault="))
    import argparse

    parser = argparse.ArgumentParser(prog="tokenbook statusline", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
