"""A year of history for a 20-person team: how long sync, check, render and report take, and
their peak memory.

The vault gets one cycle per month of 2026 with five bets each (bets match `feature/<bet>-*`
branches), and ledgers that hold a year of rows written directly (people x working days x
sessions, main agent and sometimes a subagent, two models): what a year of syncs would have left.
Then one more day of real logs (from `tests.synth`) is synced on top. Every command runs in
its own process, so its peak RSS is its own.

    python benchmarks/bench_scale.py [--people 20] [--days 250] [--sessions 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: `tests.synth`

from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import format_ledger
from tokenbook.model import UNASSIGNED

REPO = Path(__file__).resolve().parent.parent
YEAR = 2026
TOPICS = ("search", "billing", "onboarding", "infra", "reports")
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101")


@dataclass(frozen=True, slots=True)
class Built:
    rows: int
    ledgers: int
    responses: int
    tokens: int
    bytes: int


def working_days(count: int) -> list[date]:
    days, d = [], date(YEAR, 1, 1)
    while len(days) < count and d.year == YEAR:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def _month_end(month: int) -> date:
    return (date(YEAR + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def write_plan_files(root: Path) -> None:
    """Settings, 12 monthly cycles and 5 bets per cycle; the example's pricing and plan."""
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("pricing", "plans"):
        shutil.copytree(REPO / "vault" / folder, root / folder)
    (root / "tokenbook.md").write_text("---\ntimezone: UTC\n---\n# Settings\n", encoding="utf-8")
    (root / "cycles").mkdir()
    (root / "bets").mkdir()
    for month in range(1, 13):
        cycle = f"{YEAR}-{month:02d}"
        (root / "cycles" / f"{cycle}.md").write_text(
            f"---\nstart: {YEAR}-{month:02d}-01\nend: {_month_end(month)}\n"
            "budget_usd: 20000\nbudget_tokens: 20000000000\n---\n",
            encoding="utf-8",
        )
        for topic in TOPICS:
            bet = f"{cycle}-{topic}"
            (root / "bets" / f"{bet}.md").write_text(
                f'---\ntitle: {topic} ({cycle})\ncycle: "[[{cycle}]]"\nappetite: 15%\n'
                f'status: active\nmax_iterations: 400\nmatch:\n  - branch: "feature/{bet}-*"\n'
                f"---\n# {topic}\n\n- [x] first part\n- [ ] second part\n",
                encoding="utf-8",
            )


def write_history(root: Path, people: int, days: int, sessions: int, seed: int = 7) -> Built:
    """Ledgers for `people` x `days` working days x `sessions` sessions a day."""
    rng = random.Random(seed)
    by_ledger: dict[str, list[LedgerRow]] = {}
    responses = tokens = 0
    for day in working_days(days):
        cycle = f"{day:%Y-%m}"
        for person in range(people):
            for s in range(sessions):
                topic = rng.choice((*TOPICS, None))
                bet = f"{cycle}-{topic}" if topic else UNASSIGNED
                branch = f"feature/{bet}-p{person}" if topic else "main"
                session = f"{person:02d}{day:%m%d}{s:02d}-{rng.getrandbits(64):016x}"
                start = datetime(day.year, day.month, day.day, 8 + 3 * s, tzinfo=UTC)
                for agent in ("main", "Explore") if rng.random() < 0.3 else ("main",):
                    for model in MODELS if rng.random() < 0.5 else MODELS[:1]:
                        n = rng.randint(5, 120)
                        t = Tokens(
                            input=n * rng.randint(5, 50),
                            output=n * rng.randint(100, 900),
                            cache_write_5m=n * rng.randint(500, 3000),
                            cache_write_1h=0,
                            cache_read=n * rng.randint(20_000, 90_000),
                        )
                        row = LedgerRow(
                            date=day,
                            session=session,
                            model=model,
                            agent=agent,
                            speed="standard",
                            geo="",
                            prompt_over=0,
                            responses=n,
                            tokens=t,
                            web_search=0,
                            web_fetch=0,
                            first=start,
                            last=start + timedelta(minutes=n),
                            project=f"/home/dev{person}/src/app",
                            branch=branch,
                        )
                        by_ledger.setdefault(bet, []).append(row)
                        responses += n
                        tokens += t.total
    folder = root / "ledgers"
    folder.mkdir(exist_ok=True)
    size = 0
    for name, rows in by_ledger.items():
        text = format_ledger(name, "UTC", rows)
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
        size += len(text)
    return Built(sum(map(len, by_ledger.values())), len(by_ledger), responses, tokens, size)


def measure(*args: str | Path) -> tuple[float, float, float, int]:
    """Run `python -m tokenbook ARGS`; return wall seconds, CPU seconds (user + system: steady
    on a busy machine), peak RSS in MB and the exit code."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenbook", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - began, cpu, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=20)
    p.add_argument("--days", type=int, default=250)
    p.add_argument("--sessions", type=int, default=3)
    p.add_argument("--keep", type=Path, help="build the vault here and keep it")
    args = p.parse_args()
    from tests.synth import generate

    work = args.keep or Path(tempfile.mkdtemp(prefix="tokenbook-scale-"))
    vault, logs = work / "vault", work / "claude"
    began = time.perf_counter()
    write_plan_files(vault)
    built = write_history(vault, args.people, args.days, args.sessions)
    shutil.rmtree(logs, ignore_errors=True)
    last = working_days(args.days)[-1]
    corpus = generate(
        logs,
        seed=1,
        sessions=args.people,
        start=datetime(last.year, last.month, last.day, 8, tzinfo=UTC) + timedelta(days=1),
        days=1,
    )
    print(
        f"vault: {args.people} people x {args.days} days x {args.sessions} sessions: "
        f"{built.rows:,} ledger rows in {built.ledgers} ledgers ({built.bytes / 1e6:.1f} MB), "
        f"{built.responses:,} responses, {built.tokens:,} tokens; "
        f"plus one day of logs: {corpus.files} files, {corpus.bytes / 1e6:.1f} MB "
        f"(built in {time.perf_counter() - began:.1f} s)"
    )
    print(f"{'command':<28} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'exit':>5}")
    steps = [
        ("sync (one new day)", ["sync", "--quiet", "--vault", vault, "--logs", logs]),
        ("sync again (nothing new)", ["sync", "--quiet", "--vault", vault, "--logs", logs]),
        ("check", ["check", "--vault", vault]),
        ("render", ["render", "--vault", vault]),
        ("render --check", ["render", "--check", "--vault", vault]),
        ("report daily --json", ["report", "daily", "--json", "--vault", vault]),
        ("report session --json", ["report", "session", "--json", "--vault", vault]),
    ]
    failed = 0
    for label, argv in steps:
        seconds, cpu, rss, code = measure(*argv)
        failed += code != 0
        print(f"{label:<28} {seconds:>8.2f} {cpu:>8.2f} {rss:>12.0f} {code:>5}")
    if not args.keep:
        shutil.rmtree(work)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
