"""`tokenbook diff REV`: markdown for a pull request: the budget at REV against now."""

from __future__ import annotations

import argparse
import sys

from tokenbook.commands.common import add_vault
from tokenbook.commands.common import vault_path
from tokenbook.gitdiff import diff_markdown


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rev", help="a git revision, e.g. origin/main or HEAD~3")
    add_vault(p)
    p.add_argument(
        "--branch",
        metavar="NAME",
        help="the branch under review, when HEAD is detached (as in CI): what it cost",
    )


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(diff_markdown(vault_path(args.vault), args.rev, args.branch))
    return 0
