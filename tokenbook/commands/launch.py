"""The `tokenbook` console script: `statusline`, `guard`, and `sync` with nothing new, answer
without importing the rest of the CLI (Jinja2, YAML and markdown-it cost far more than their
budget)."""

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

    if argv[:1] == ["sync"]:  # nothing new: answered before the CLI loads (`noop.py`)
        from tokenbook.noop import quiet_sync

        answer = quiet_sync(argv[1:])
        if answer is not None:
            sys.stdout.write(answer[0])
            sys.stderr.write(answer[1])
            return 0
    from tokenbook.cli import main as cli_main

    return cli_main(argv)
