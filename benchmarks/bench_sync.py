"""Benchmark: tokenbook's sync, reports and status against ccusage, at 1x, 2x and 4x a corpus.

    python benchmarks/bench_sync.py [--sizes 100MB,200MB,400MB] [--runs 5] [--dir DIR]
                                    [--ccusage PATH] [--profile]

Corpora come from `python -m tests.synth DIR/corpus-<size> --size <size>` and are reused
when present. Every figure is the median wall time of `--runs` runs of the real command in a
fresh process (the `tokenbook` console script beside this Python); the runs of all
measurements of one corpus take turns (round by round) so that a busy machine slows each of
them alike. Peak RSS is the largest
`ru_maxrss` of the command's processes (RUSAGE_CHILDREN in a wrapper process).

Measured, per corpus, against `ccusage claude daily --json --offline -z UTC` on the same logs
(CLAUDE_CONFIG_DIR pointing at the corpus; pinned: `npm install ccusage@20.0.24`):
  cold sync       no cache, no ledgers (a copy of the example vault without usage)
  no-op sync      nothing new in the logs
  +1 session      one new session (a small synthetic one) added to the logs, render included;
                  each round adds another, on top of the last (no copy of the vault between:
                  its caches stay as a user's do)
  report daily    `report daily --json` from the ledgers, the first after a sync (the whole CLI)
  report again    the same asked again: answered before the CLI loads (`answers.py`; made by an
                  untimed run once the vault's files are older than its 2-second window)
  status          `status --json` (plan windows read the logs' responses)
  report blocks   `report blocks --json`

Not a test: timings depend on the machine. It prints a table per corpus, the load average,
the totals of both tools, and a markdown summary (`--profile`: where each command's time goes).
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
from collections.abc import Callable
from pathlib import Path

from installed import compile_package

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: `tests.synth`

Step = tuple[str, Callable[[], None], list[str], dict[str, str] | None]
REPO = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = REPO / "vault"
CCUSAGE_VERSION = "20.0.24"
TARGETS = {  # tokenbook / ccusage daily, from issue 12
    "cold sync": 1.0,
    "no-op sync": 0.07,
    "+1 session": 0.2,
    "report daily": 0.1,
    "report again": 0.1,
    "status": 0.1,
    "report blocks": 0.1,
}
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
    if done.returncode != 0:
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


def new_session(base: Path, n: int) -> list[tuple[Path, Path]]:
    """A small synthetic corpus of one session: (source, path relative to projects/) pairs."""
    out = base / f"one-session-{n}"
    if not (out / "projects").is_dir():
        cmd = [sys.executable, "-m", "tests.synth", str(out), "--sessions", "1"]
        subprocess.run([*cmd, "--seed", str(4242 + n)], check=True, capture_output=True, cwd=REPO)
    files = [p for p in sorted((out / "projects").rglob("*")) if p.is_file()]
    return [(p, p.relative_to(out / "projects")) for p in files]


def fresh_vault(vault: Path) -> Path:
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
    """The console script, as a user or a hook runs it (`python -m` loads `runpy` too)."""
    script = Path(sys.executable).parent / "tokenbook"
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "tokenbook"]
    return [*start, *map(str, args)]


class Bench:
    """The measurements of one corpus, run round by round."""

    def __init__(self, base: Path, size: str, ccusage: str | None) -> None:
        self.logs = corpus(base, size)
        self.work = base / f"work-{size}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.vault = self.work / "vault"
        self.cold_vault = self.work / "cold"
        self.base, self.ccusage = base, ccusage
        self.added: list[Path] = []
        self.rounds = 0
        self.times: dict[str, list[float]] = {}
        self.rss: dict[str, int] = {}
        self.out: dict[str, str] = {}

    def sync(self, vault: Path) -> list[str]:
        return tokenbook("sync", "--quiet", "--vault", vault, "--logs", self.logs)

    def plan(self) -> list[Step]:
        v, logs = self.vault, self.logs
        nothing: Callable[[], None] = lambda: None  # noqa: E731
        steps: list[Step] = []
        if self.ccusage:
            env = {**os.environ, "CLAUDE_CONFIG_DIR": str(logs)}
            cmd = [self.ccusage, "claude", "daily", "--json", "--offline", "-z", "UTC"]
            steps.append(("ccusage daily", nothing, cmd, env))
        read = ("--vault", v, "--logs", logs)
        daily = tokenbook("report", "daily", "--json", "--vault", v)
        steps += [
            ("cold sync", self.cold, self.sync(self.cold_vault), None),
            ("no-op sync", nothing, self.sync(v), None),
            ("report daily", nothing, daily, None),
            ("report again", self.answered, daily, None),
            ("status", nothing, tokenbook("status", "--json", *read), None),
            ("report blocks", nothing, tokenbook("report", "blocks", "--json", *read), None),
            ("+1 session", self.add_session, self.sync(v), None),
        ]
        return steps

    def cold(self) -> None:
        fresh_vault(self.cold_vault)

    def answered(self) -> None:
        """`report daily --json` run once (untimed) where the early answer can keep it: after
        the racy window of the files the last sync wrote."""
        newest = max(p.stat().st_ctime for p in self.vault.rglob("*") if p.is_file())
        time.sleep(max(0.0, newest + 2.1 - time.time()))
        cmd = tokenbook("report", "daily", "--json", "--vault", self.vault)
        subprocess.run(cmd, check=True, capture_output=True)

    def add_session(self) -> None:
        for src, rel in new_session(self.base, self.rounds):
            dest = self.logs / "projects" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            self.added.append(dest)

    def run(self, runs: int) -> None:
        fresh_vault(self.vault)
        for _ in range(2):  # the synced state: records, caches, a rendered dashboard
            subprocess.run(self.sync(self.vault), check=True, capture_output=True)
        try:
            for self.rounds in range(runs):
                for what, prepare, cmd, env in self.plan():
                    prepare()
                    seconds, rss, stdout = measure(cmd, env)
                    self.times.setdefault(what, []).append(seconds)
                    self.rss[what] = max(self.rss.get(what, 0), rss)
                    self.out[what] = stdout
        finally:
            for path in self.added:
                path.unlink(missing_ok=True)

    def median(self, what: str) -> float:
        return statistics.median(self.times[what])


def print_table(size: str, b: Bench) -> None:
    ref = b.median("ccusage daily") if "ccusage daily" in b.times else None
    print(f"\ncorpus {size} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(
        f"{'measurement':<15} {'median s':>9} {'x ccusage':>10} {'target':>7} {'RSS MB':>7}  runs"
    )
    for what in ["ccusage daily", *TARGETS]:
        if what not in b.times:
            continue
        ratio = f"{b.median(what) / ref:.3f}" if ref else "-"
        target = f"{TARGETS[what]:g}" if what in TARGETS else ""
        runs = ", ".join(f"{t:.3f}" for t in b.times[what])
        print(
            f"{what:<15} {b.median(what):>9.3f} {ratio:>10} {target:>7} "
            f"{b.rss[what] / 1e6:>7.0f}  {runs}"
        )


def compare_totals(b: Bench) -> None:
    if "ccusage daily" not in b.out:
        return
    ours = json.loads(b.out["report daily"])["totals"]
    theirs = json.loads(b.out["ccusage daily"])["totals"]
    print(f"{'total':<30} {'tokenbook':>16} {'ccusage':>16}")
    for mine, cc in TOKEN_FIELDS:
        print(f"{mine:<30} {ours.get(mine, 0):>16,} {theirs.get(cc, 0):>16,}")


def markdown(results: dict[str, Bench]) -> str:
    """The summary table: each figure's median and its ratio to ccusage, per corpus."""
    sizes = list(results)
    head = "| command | " + " | ".join(sizes) + " | target |"
    lines = [head, "|" + " --- |" * (len(sizes) + 2)]
    for what in TARGETS:
        cells = []
        for size in sizes:
            b = results[size]
            ref = b.median("ccusage daily") if "ccusage daily" in b.times else None
            ratio = f" ({b.median(what) / ref:.2f}x)" if ref else ""
            cells.append(f"{b.median(what):.3f} s{ratio}")
        lines.append(f"| {what} | " + " | ".join(cells) + f" | <= {TARGETS[what]:g}x |")
    if all("ccusage daily" in b.times for b in results.values()):
        cells = [f"{results[s].median('ccusage daily'):.3f} s" for s in sizes]
        lines.append("| ccusage daily | " + " | ".join(cells) + " | |")
        rss = [
            f"{results[s].rss['cold sync'] / 1e6:.0f} / {results[s].rss['ccusage daily'] / 1e6:.0f}"
            for s in sizes
        ]
        lines.append("| peak RSS MB, cold sync / ccusage | " + " | ".join(rss) + " | <= 1x |")
    return "\n".join(lines)


def profile(b: Bench) -> None:
    """Where each command's time goes (cProfile, cumulative, in-process; imports included)."""
    v, logs = str(b.vault), str(b.logs)
    commands = {
        "report daily": ["report", "daily", "--json", "--vault", v],
        "status": ["status", "--json", "--vault", v, "--logs", logs],
        "report blocks": ["report", "blocks", "--json", "--vault", v, "--logs", logs],
    }
    for what, args in commands.items():
        code = (
            "import cProfile, pstats, io, contextlib, sys\n"
            "from tokenbook.cli import main\n"
            f"args = {args!r}\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    p = cProfile.Profile(); p.runcall(main, args)\n"
            "pstats.Stats(p).sort_stats('cumulative').print_stats(18)\n"
        )
        print(f"\n--- {what}")
        subprocess.run([sys.executable, "-c", code], check=True)


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
    p.add_argument("--sizes", default="100MB,200MB,400MB", help="corpus sizes (1x, 2x, 4x)")
    p.add_argument("--runs", type=int, default=5, help="runs per figure; the median is shown")
    p.add_argument("--dir", type=Path, help="where corpora and vaults live (default: a temp dir)")
    p.add_argument("--ccusage", help=f"path to ccusage {CCUSAGE_VERSION} (default: on PATH)")
    p.add_argument("--profile", action="store_true", help="profile the reads at the last size")
    args = p.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="tokenbook-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    ccusage = find_ccusage(args.ccusage)
    if ccusage is None:
        print(f"ccusage not found: absolute figures only (npm install ccusage@{CCUSAGE_VERSION})")
    compile_package()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict[str, Bench] = {}
    for size in args.sizes.split(","):
        b = Bench(base, size, ccusage)
        b.run(args.runs)
        results[size] = b
        print_table(size, b)
        compare_totals(b)
    print(f"\nload average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(markdown(results))
    if args.profile:
        profile(results[list(results)[-1]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
