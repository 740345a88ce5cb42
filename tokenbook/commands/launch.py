"""The `tokenbook` console script: `statusline`, `guard`, `sync` with nothing new and a report
printed before from the same files answer without importing the rest of the CLI (argparse, the
vault's records and Jinja2 cost far more than their budget)."""

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
    if argv[:1] == ["report"]:  # printed before from the same files: answered (`answers.py`)
        from tokenbook import answers

        request = answers.request(argv)
        if request is not None:
            text = answers.lookup(request)
            if text is not None:
                return _write(text)
            import time

            return answers.record(request, lambda: _cli(argv), time.time_ns())
    return _cli(argv)


def _cli(argv: list[str]) -> int:
    from tokenbook.cli import main as cli_main

    return cli_main(argv)


def _write(text: str) -> int:
    """Print as the full command does: a closed pipe (`| head`) exits 141 without a word."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
        return 141
    return 0
