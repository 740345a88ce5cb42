"""`tokenbook guard`: the budget guard Claude Code runs before each prompt and subagent spawn
(`hook install --guard` sets it up); `tokenbook guard allow SESSION` lets a blocked session go
on. The hook reads the session's JSON on stdin, answers on stdout, and always exits 0: it
warns, blocks only where `guard: block` is set, and blocks nothing when it fails.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC
from datetime import datetime
from pathlib import Path

from tokenbook.guard import allow
from tokenbook.guard import answer
from tokenbook.statusline import find_vault

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

VAULT_HELP = "the vault folder (default: $TOKENBOOK_VAULT, else the one `hook install` recorded)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="?",
        choices=("check", "allow"),
        default="check",
        help="check: answer Claude Code's hook (the default, session JSON on stdin); "
        "allow: let SESSION go on past its hard limits (it is still warned)",
    )
    p.add_argument("session", nargs="?", help="allow: the session id the block message names")
    p.add_argument("--vault", type=Path, default=None, help=VAULT_HELP)


def _check(vault: Path | None) -> int:
    try:
        stdin_text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    except (OSError, ValueError, UnicodeDecodeError):
        stdin_text = ""
    root = find_vault(vault, os.environ, Path.home())
    out, err = answer(stdin_text, root, datetime.now(UTC), os.environ, Path.home())
    try:
        if out:
            print(out, flush=True)
        if err:
            sys.stderr.write(err)
    except OSError:  # Claude Code stopped listening: nothing to block with anyway
        pass
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        return _check(args.vault)
    from tokenbook.errors import TokenbookError

    session = (args.session or "").strip()
    if not session:
        raise TokenbookError("name the session: tokenbook guard allow SESSION (as the block said)")
    if allow(session, datetime.now(UTC).date().isoformat(), os.environ, Path.home()):
        print(f"session {session} may go on past its hard limits (it is still warned)")
    else:
        print(f"session {session} was already allowed to go on")
    return 0


def main(argv: list[str]) -> int:
    """The fast path of the `tokenbook` console script for the hook (`[check] [--vault DIR]`,
    parsed by hand); anything else goes through the full command line."""
    rest = argv[1:] if argv[:1] == ["check"] else argv
    if not rest:
        return _check(None)
    if len(rest) == 2 and rest[0] == "--vault":
        return _check(Path(rest[1]))
    if len(rest) == 1 and rest[0].startswith("--vault="):
        return _check(Path(rest[0].removeprefix("--vault=")))
    from tokenbook.cli import main as cli_main

    return cli_main(["guard", *argv])
