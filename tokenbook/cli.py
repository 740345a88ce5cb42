"""The command line: build the parser from the command modules, run one, map errors to exits."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from tokenbook.commands import assign
from tokenbook.commands import check
from tokenbook.commands import diff
from tokenbook.commands import estimate
from tokenbook.commands import export
from tokenbook.commands import hook
from tokenbook.commands import init
from tokenbook.commands import log
from tokenbook.commands import preflight
from tokenbook.commands import render
from tokenbook.commands import report
from tokenbook.commands import status
from tokenbook.commands import statusline
from tokenbook.commands import sync
from tokenbook.errors import TokenbookError

COMMANDS: tuple[ModuleType, ...] = (
    init,
    sync,
    render,
    check,
    report,
    status,
    estimate,
    preflight,
    hook,
    statusline,
    diff,
    log,
    assign,
    export,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenbook", description="Token budgets for coding agents, kept in git."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    by_name = {c.NAME: c for c in COMMANDS}
    try:
        code: int = by_name[args.command].run(args)
        return code
    except TokenbookError as e:
        print(e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
