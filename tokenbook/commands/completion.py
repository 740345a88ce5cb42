"""`tokenbook completion bash|zsh|fish`: print a static completion script for the shell.

The script is generated from the command line's own argparse parser, so every command, option
and fixed choice is completed; paths fall back to the shell's file completion.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tokenbook.completion import SHELLS
from tokenbook.completion import Arg
from tokenbook.completion import Command
from tokenbook.completion import Program

PROG = "tokenbook"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=sorted(SHELLS), help="the shell to complete in")


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    try:  # argparse's own `%(default)s` and `%%` expansion
        return text % {**vars(action), "prog": PROG}
    except (KeyError, TypeError, ValueError):
        return text.replace("%%", "%")


def _arg(action: argparse.Action) -> Arg:
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    return Arg(
        flags=tuple(action.option_strings),
        name=metavar or action.dest,
        help=_help(action),
        takes_value=action.nargs != 0,
        choices=tuple(str(c) for c in action.choices or ()),
        path=action.type is Path,
        repeat=isinstance(action, argparse._AppendAction),
    )


def _args(parser: argparse.ArgumentParser) -> tuple[Arg, ...]:
    return tuple(
        _arg(a)
        for a in parser._actions
        if a.help != argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
    )


def program(parser: argparse.ArgumentParser) -> Program:
    """What the completion scripts need to know, read off the parser."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    commands = tuple(
        Command(name=name, help=helps.get(name, ""), args=_args(p))
        for name, p in sub.choices.items()
    )
    return Program(name=PROG, options=_args(parser), commands=commands)


def run(args: argparse.Namespace) -> int:
    from tokenbook.cli import _parser  # the full parser: every command's options

    print(SHELLS[args.shell](program(_parser())), end="")
    return 0
