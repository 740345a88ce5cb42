"""Benchmark: sync and reports on synthetic corpora, against ccusage when it is installed.

    python benchmarks/bench_sync.py [--sizes 100MB,1GB] [--runs 3] [--dir DIR] [--ccusage PATH]

Corpora come from `python -m tests.synth DIR/corpus-<size> --size <size>` and are reused
when present. Each figure is the median wall time of `--runs` runs of the real CLI in a fresh
process; peak RSS is `ru_maxrss` of that process (RUSAGE_CHILDREN, read in a wrapper process).

Measured, per corpus:
  cold sync      cache deleted, fresh ledgers (a copy of the example vault without usage)
  no-op sync     nothing new in the logs
  +1 session     one new session (a small synthetic one) appended, from the synced state
  report X       `report daily|monthly|session --json` from the ledgers
  ccusage daily  `ccusage claude daily --json --offline -z UTC` on the same corpus, with
                 CLAUDE_CONFIG_DIR pointing at it (pinned: `npm install ccusage@20.0.24`)

Not a test: timings depend on the machine; it prints a table and the totals of both tools.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: `tests.synth`

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = REPO / "vault"
CCUSAGE_VERSION = "20.0.24"
TOKEN_FIELDS = (
    ("input_tokens", "inputTokens"),
    ("output_tokens", "outputTokens"),
    ("cache_creation_input_tokens", "cacheCreationTokens"),
    ("cache_read_input_tokens", "cacheReadTokens"),
)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and stdout of one run of `cmd` in a wrapper process."""
    wrapper = [sys.executable, __file__, "--measure-json", json.dumps(cmd)]
    done = subprocess.run(wrapper, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.splitlines()[-1])
    return result["seconds"], result["rss"], result["stdout"]


def _measured_child(cmd: list[str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0,):
        sys.stderr.write(done.stderr)
        raise SystemExit(done.returncode)
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "rss": rss_kb * 1024, "stdout": done.stdout}))


def corpus(base: Path, size: str) -> Path:
    out = base / f"corpus-{size}"
    if not (out / "projects").is_dir():
        print(f"generating {out} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "tests.synth", str(out), "--size", size], check=True, cwd=REPO
        )
    return out


def new_session(base: Path) -> list[tuple[Path, Path]]:
    """A small synthetic corpus of one session: (source, path relative to projects/) pairs."""
    out = base / "one-session"
    if not (out / "projects").is_dir():
        cmd = [
            sys.executable,
            "-m",
            "tests.synth",
            str(out),
            "--sessions",
            "1",
            "--seed",
            "4242",
        ]
        subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    files = [p for p in sorted((out / "projects").rglob("*")) if p.is_file()]
    return [(p, p.relative_to(out / "projects")) for p in files]


def fresh_vault(base: Path) -> Path:
    vault = base / "vault"
    shutil.rmtree(vault, ignore_errors=True)
    shutil.copytree(
        EXAMPLE_VAULT,
        vault,
        ignore=shutil.ignore_patterns(
            "ledgers", "progress", "cost-dashboard.md", "limits.md", ".tokenbook*"
        ),
    )
    return vault


def tokenbook(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "tokenbook", *map(str, args)]


def median_of(
    runs: int, prepare: Any, cmd: list[str], env: dict[str, str] | None = None
) -> dict[str, Any]:
    times, peak, out = [], 0, ""
    for _ in range(runs):
        prepare()
        seconds, rss, out = measure(cmd, env)
        times.append(seconds)
        peak = max(peak, rss)
    return {"median": statistics.median(times), "runs": times, "rss": peak, "stdout": out}


def bench(base: Path, size: str, runs: int, ccusage: str | None) -> list[dict[str, Any]]:
    logs = corpus(base, size)
    work = base / f"work-{size}"
    work.mkdir(parents=True, exist_ok=True)
    vault = work / "vault"
    rows: list[dict[str, Any]] = []

    def cold_prepare() -> None:
        fresh_vault(work)

    sync = tokenbook("sync", "--quiet", "--vault", vault, "--logs", logs)
    cold = median_of(runs, cold_prepare, sync)
    rows.append({"what": "cold sync", **cold})
    subprocess.run(sync, check=True, capture_output=True)  # the state after a sync
    synced = work / "synced"
    shutil.rmtree(synced, ignore_errors=True)
    shutil.copytree(vault, synced)

    def restore() -> None:
        shutil.rmtree(vault)
        shutil.copytree(synced, vault)

    rows.append({"what": "no-op sync", **median_of(runs, lambda: None, sync)})
    added = new_session(base)

    def add_session() -> None:
        restore()
        for src, rel in added:
            dest = logs / "projects" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)

    try:
        rows.append({"what": "+1 session sync", **median_of(runs, add_session, sync)})
    finally:
        for _, rel in added:
            (logs / "projects" / rel).unlink(missing_ok=True)
        restore()
    for kind in ("daily", "monthly", "session"):
        cmd = tokenbook("report", kind, "--json", "--vault", vault)
        rows.append({"what": f"report {kind}", **median_of(runs, lambda: None, cmd)})
    if ccusage:
        env = {**os.environ, "CLAUDE_CONFIG_DIR": str(logs)}
        cmd = [ccusage, "claude", "daily", "--json", "--offline", "-z", "UTC"]
        rows.append({"what": "ccusage daily", **median_of(runs, lambda: None, cmd, env)})
    daily = next(r for r in rows if r["what"] == "report daily")
    rows[0]["totals"] = json.loads(daily["stdout"])["totals"]
    return rows


def print_table(size: str, rows: list[dict[str, Any]]) -> None:
    ref = next((r["median"] for r in rows if r["what"] == "ccusage daily"), None)
    print(f"\ncorpus {size} ({os.cpu_count()} cores)")
    print(f"{'measurement':<18} {'median s':>9} {'x ccusage':>10} {'peak RSS MB':>12}  runs (s)")
    for r in rows:
        ratio = f"{r['median'] / ref:.3f}" if ref else "-"
        runs = ", ".join(f"{t:.2f}" for t in r["runs"])
        print(f"{r['what']:<18} {r['median']:>9.3f} {ratio:>10} {r['rss'] / 1e6:>12.0f}  {runs}")


def compare_totals(rows: list[dict[str, Any]]) -> None:
    ours = rows[0]["totals"]
    theirs_row = next((r for r in rows if r["what"] == "ccusage daily"), None)
    if theirs_row is None:
        return
    theirs = json.loads(theirs_row["stdout"])["totals"]
    print(f"{'total':<30} {'tokenbook':>16} {'ccusage':>16} {'difference':>12}")
    for mine, cc in TOKEN_FIELDS:
        a, b = ours.get(mine, 0), theirs.get(cc, 0)
        print(f"{mine:<30} {a:>16,} {b:>16,} {a - b:>12,}")
    cost = ours.get("cost_usd") or ours.get("cost")
    print(f"{'cost (USD)':<30} {cost!s:>16} {theirs.get('totalCost', 0):>16.2f}")


def find_ccusage(given: str | None) -> str | None:
    for candidate in (given, shutil.which("ccusage")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure-json":
        _measured_child(json.loads(sys.argv[2]))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100MB,1GB", help="corpus sizes (default 100MB,1GB)")
    p.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown")
    p.add_argument("--dir", type=Path, help="where corpora and vaults live (default: a temp dir)")
    p.add_argument("--ccusage", help=f"path to ccusage {CCUSAGE_VERSION} (default: on PATH)")
    args = p.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="tokenbook-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    ccusage = find_ccusage(args.ccusage)
    if ccusage is None:
        print(f"ccusage not found: no ratios (npm install ccusage@{CCUSAGE_VERSION})")
    for size in args.sizes.split(","):
        rows = bench(base, size, args.runs, ccusage)
        print_table(size, rows)
        compare_totals(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
