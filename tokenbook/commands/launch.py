"""The `tokenbook` console script: `statusline` and `guard` answer without importing the rest of
the CLI (Jinja2, YAML and markdown-it cost far more than the status line's whole budget)."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["statusline"] and not {"-h", "--help"} & set(argv):
        from tokenbook.commands import statusline

        return statusline.main(argv[1:])
    if argv[:1] == ["guard"] and not {"-h", "--help"} & set(argv):
        from tokenbook.commands import guard

        return guard.main(argv[1:])
    from tokenbook.cli import main as cli_main

    return cli_main(argv)
