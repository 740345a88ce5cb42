"""Guard latency on a vault with a year of ledgers (figures, not a test; target < 100 ms).

    python benchmarks/bench_guard.py [--runs 30] [--sessions-per-day 30] [--responses 2000]

Builds a copy of the example vault with a year of ledger records (format 2: one line per
response, every bet and `unassigned`), renders it once (which writes the summary cache the guard
reads), writes a running session's transcript of `--responses` responses with tool output
between them, and times `tokenbook guard` as Claude Code runs it (a new process, JSON on stdin):

- the first prompt of a session whose transcript is already long (the whole file is read);
- every later prompt (one new response since the last one: the steady state);
- the same in-process (the work itself), and `python -c pass` (interpreter start-up).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from installed import compile_package

from tokenbook.events import Tokens
from tokenbook.guard import answer
from tokenbook.recordfile import format_records
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import record_id
from tokenbook.render import render_all
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

REPO = Path(__file__).resolve().parent.parent
MODELS = ("claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")
SESSION = "live-session"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def build(root: Path, sessions_per_day: int) -> int:
    shutil.copytree(REPO / "vault", root, ignore=shutil.ignore_patterns("ledgers", ".tokenbook*"))
    bet = root / "bets" / "auth-login.md"
    text = bet.read_text(encoding="utf-8")
    budget = "session_budget: {usd: 5, warn: 80%, block: 110%}\nguard: block\n"
    budget += f"sessions: [{SESSION}]\n"  # the running session is this bet's
    bet.write_text(text.replace("appetite: 40%\n", "appetite: 40%\n" + budget), encoding="utf-8")
    vault = load_vault(root)
    names = [b.id for b in vault.bets] + ["unassigned"]
    rng = random.Random(7)
    records: dict[str, list[Rec]] = {n: [] for n in names}
    start = date(2025, 11, 21)
    for d in range(365):
        day = start + timedelta(days=d)
        for s in range(sessions_per_day):
            session = f"{day:%Y%m%d}-{s:03d}-bench"
            ledger = names[s % len(names)]
            ctx = Context(session=session, project="/home/dev/src/webapp", model=MODELS[s % 3])
            at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            for n in range(rng.randint(5, 15)):
                records[ledger].append(
                    Rec(
                        id=record_id("claude-code", f"msg_{session}_{n}", f"req_{n}"),
                        ctx=ctx,
                        at=at + timedelta(minutes=n),
                        tokens=Tokens(
                            input=rng.randint(0, 500),
                            output=rng.randint(0, 5_000),
                            cache_write_5m=rng.randint(0, 20_000),
                            cache_read=rng.randint(0, 300_000),
                        ),
                    )
                )
    (root / "ledgers").mkdir()
    for name, recs in records.items():
        (root / "ledgers" / f"{name}.tsv").write_text(format_records(recs), encoding="utf-8")
    render_all(vault, load_ledgers(vault))
    return sum(len(r) for r in records.values())


def line(n: int, kind: str) -> str:
    ts = (NOW - timedelta(hours=2) + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
    envelope = {"sessionId": SESSION, "cwd": "/home/dev/src/webapp", "gitBranch": "main"}
    if kind == "tool":
        content = [{"type": "tool_result", "tool_use_id": f"t{n}", "content": "x" * 4000}]
        return json.dumps(envelope | {"type": "user", "message": {"content": content}})
    usage = {"input_tokens": 3, "output_tokens": 400, "cache_read_input_tokens": 40_000}
    message = {"id": f"msg_{n}", "model": MODELS[0], "role": "assistant", "usage": usage}
    return json.dumps(envelope | {"type": "assistant", "message": message, "timestamp": ts})


def figures(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    print(f"{label:<52} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms")


def timed(
    fn: Callable[[], object], runs: int, before: Callable[[], object] = lambda: 0
) -> list[float]:
    out = []
    for _ in range(runs):
        before()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def profile(stdin: str, root: Path, home: Path) -> None:
    import cProfile
    import pstats

    with cProfile.Profile() as p:
        answer(stdin, root, NOW, {}, home)
    pstats.Stats(p).sort_stats("cumulative").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sessions-per-day", type=int, default=30)
    parser.add_argument("--responses", type=int, default=2000)
    args = parser.parse_args()
    compile_package()
    script = Path(sys.executable).parent / "tokenbook"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        t = time.perf_counter()
        records = build(root, args.sessions_per_day)
        took = time.perf_counter() - t
        size = sum(p.stat().st_size for p in (root / "ledgers").glob("*.tsv"))
        summary = (root / ".tokenbook-cache" / "summary.json").stat().st_size
        print(
            f"vault: {records:,} response records ({size / 1e6:.1f} MB of ledgers), summary "
            f"{summary / 1e3:.1f} kB; built and rendered in {took:.1f} s"
        )
        transcript = Path(tmp) / "projects" / "p" / f"{SESSION}.jsonl"
        transcript.parent.mkdir(parents=True)
        n = 0
        with transcript.open("w", encoding="utf-8") as f:
            for n in range(args.responses):
                f.write(line(n, "assistant") + "\n" + line(n, "tool") + "\n")
        print(f"transcript: {args.responses:,} responses, {transcript.stat().st_size / 1e6:.1f} MB")
        payload = {
            "session_id": SESSION,
            "transcript_path": str(transcript),
            "cwd": "/home/dev/src/webapp",
            "hook_event_name": "UserPromptSubmit",
            "prompt": "go on",
        }
        stdin = json.dumps(payload)
        print("answer:", answer(stdin, root, NOW, {}, Path(tmp))[0][:160], "...")
        cache = root / ".tokenbook-cache" / "guard"

        def cold() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        counter = [n]

        def grow() -> None:
            counter[0] += 1
            with transcript.open("a", encoding="utf-8") as f:
                f.write(line(counter[0], "assistant") + "\n" + line(counter[0], "tool") + "\n")

        env = {"HOME": tmp, "PATH": "/usr/bin:/bin"}

        def spawn(cmd: list[str]) -> None:
            subprocess.run(cmd, input=stdin, env=env, capture_output=True, text=True, check=True)

        guard = [str(script), "guard", "--vault", str(root)]
        figures(
            "guard in-process, first prompt (reads the file)",
            timed(lambda: answer(stdin, root, NOW, {}, Path(tmp)), args.runs, cold),
        )
        figures(
            "guard in-process, next prompts (one new response)",
            timed(lambda: answer(stdin, root, NOW, {}, Path(tmp)), args.runs, grow),
        )
        figures(
            "`python -c pass` (interpreter start-up)",
            timed(lambda: spawn([sys.executable, "-c", "pass"]), args.runs),
        )
        if script.exists():
            figures(
                "`tokenbook guard` (new process), first prompt",
                timed(lambda: spawn(guard), args.runs, cold),
            )
            figures(
                "`tokenbook guard` (new process), next prompts",
                timed(lambda: spawn(guard), args.runs, grow),
            )


if __name__ == "__main__":
    main()
