"""Status line latency on a vault with a year of ledgers (figures, not a test).

    python benchmarks/bench_statusline.py [--runs 50] [--sessions-per-day 30]

Builds a copy of the example vault with a year of synthetic ledger rows (every bet and
`unassigned`), renders it once (which writes the summary cache), then times:

- `status_line()` in-process (the work itself: read the summary, attribute, format);
- the `tokenbook statusline` console script as Claude Code runs it (a new process each time);
- `python -c pass` (the interpreter's own start-up, the floor for any Python status line).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.render import render_all
from tokenbook.statusline import SUMMARY
from tokenbook.statusline import status_line
from tokenbook.store import load_ledgers
from tokenbook.store import write_ledgers
from tokenbook.vault import load_vault

REPO = Path(__file__).resolve().parent.parent
MODELS = ("claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")


def build(root: Path, sessions_per_day: int) -> int:
    shutil.copytree(REPO / "vault", root, ignore=shutil.ignore_patterns("ledgers", ".tokenbook*"))
    vault = load_vault(root)
    ledgers = load_ledgers(vault)
    names = [b.id for b in vault.bets] + ["unassigned"]
    rng = random.Random(7)
    start = date(2025, 11, 30)
    for d in range(365):
        day = start + timedelta(days=d)
        for s in range(sessions_per_day):
            session = f"{day:%Y%m%d}-{s:03d}-bench"
            ledger = names[s % len(names)]
            for model in MODELS[: 1 + s % 3]:
                at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                row = LedgerRow(
                    date=day,
                    session=session,
                    model=model,
                    agent="main",
                    speed="standard",
                    geo="",
                    prompt_over=0,
                    responses=rng.randint(1, 80),
                    tokens=Tokens(
                        input=rng.randint(0, 5000),
                        output=rng.randint(0, 50_000),
                        cache_write_5m=rng.randint(0, 200_000),
                        cache_read=rng.randint(0, 3_000_000),
                    ),
                    web_search=0,
                    web_fetch=0,
                    first=at,
                    last=at + timedelta(minutes=30),
                    project="/home/dev/src/webapp",
                    branch="main",
                )
                ledgers.legacy[(ledger, row.key)] = row  # kept as migrated rows (`l` lines)
    ledgers.retally()
    write_ledgers(ledgers, names)
    render_all(vault, ledgers)
    return len(ledgers.rows)


def figures(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    print(f"{label:<44} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms")


def timed(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sessions-per-day", type=int, default=30)
    args = parser.parse_args()
    script = Path(sys.executable).parent / "tokenbook"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        t = time.perf_counter()
        rows = build(root, args.sessions_per_day)
        took = time.perf_counter() - t
        ledger_bytes = sum(p.stat().st_size for p in (root / "ledgers").glob("*.md"))
        summary_bytes = (root / SUMMARY).stat().st_size
        print(
            f"vault: {rows:,} ledger rows ({ledger_bytes / 1e6:.1f} MB of ledgers), "
            f"summary {summary_bytes / 1e3:.1f} kB; built and rendered in {took:.1f} s"
        )
        stdin = json.dumps(
            {
                "session_id": "20261128-004-bench",
                "cwd": "/home/dev/src/webapp",
                "model": {"id": MODELS[0], "display_name": "Opus 4.5"},
                "workspace": {"current_dir": "/home/dev/src/webapp"},
                "rate_limits": {"five_hour": {"used_percentage": 12.5}},
            }
        )
        now = datetime(2026, 11, 28, 12, tzinfo=UTC)
        print("line:", status_line(stdin, root, now, {"NO_COLOR": "1"}))
        figures(
            "status_line() in-process",
            timed(lambda: status_line(stdin, root, now, {}), args.runs),
        )
        env = dict(os.environ) | {"TOKENBOOK_VAULT": str(root)}

        def spawn(cmd: list[str]) -> None:
            subprocess.run(cmd, input=stdin, env=env, capture_output=True, text=True, check=True)

        figures(
            "`python -c pass` (interpreter start-up)",
            timed(lambda: spawn([sys.executable, "-c", "pass"]), args.runs),
        )
        if script.exists():
            figures(
                "`tokenbook statusline` (new process)",
                timed(lambda: spawn([str(script), "statusline"]), args.runs),
            )
            figures(
                "`tokenbook --help` (the full CLI, for scale)",
                timed(lambda: spawn([str(script), "--help"]), 10),
            )


if __name__ == "__main__":
    main()
