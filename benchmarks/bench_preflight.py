"""Pre-flight figures (not a test): the calibrated estimate's error on held-back history, and
the time to count a large tree, cold and with the cache.

    python benchmarks/bench_preflight.py [--sessions 40] [--files 2000] [--seed 7]

1. Calibration. `tests.synth.generate()` sets each request's prompt growth to the previous
   output plus a random 0-40 tokens (plus a random 6-12K in "long" sessions), independently of
   the text it writes, so its logs cannot show a ratio: calibrating on them must keep the
   defaults, and the figure printed for it only shows that the fit refuses noise. The benchmark
   therefore also writes its own history, where a hidden "true" tokenizer (a per-kind ratio, a
   per-text jitter of ±8% and a per-message overhead) decides each prompt growth, fits on the
   older 80% of request pairs and prints the median error on the newest 20%, next to the
   defaults' error on the same pairs.
2. Speed. A generated tree of N files (code, prose, JSON, a node_modules folder, lock files,
   duplicates, images) is counted by the real CLI in-process, first with no cache, then again.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: `tests.synth`

from tests.synth import generate
from tokenbook.cli import main
from tokenbook.preflight.cache import vault_cache
from tokenbook.preflight.calibrate import Fit
from tokenbook.preflight.calibrate import calibrate
from tokenbook.preflight.calibrate import fit
from tokenbook.preflight.calibrate import median_error_pct
from tokenbook.preflight.pairs import collect_pairs
from tokenbook.preflight.scan import Scanner

REPO = Path(__file__).resolve().parent.parent
TRUE_RATIOS = {"code": 3.35, "prose": 4.25, "json": 2.45}  # the hidden tokenizer
JITTER = 0.08
OVERHEAD = 9
WORDS = ("the", "a", "ledger", "token", "budget", "cycle", "bet", "session", "appetite", "price",
         "model", "cache", "window")  # fmt: skip


def code(r: random.Random, n: int) -> str:
    lines = []
    while sum(map(len, lines)) < n:
        name = r.choice(WORDS)
        lines.append(f"def {name}_{r.randrange(99)}(self, x: int) -> int:\n")
        lines.append(f"    return self.{r.choice(WORDS)}[x] + {r.randrange(1000)}\n")
    return "".join(lines)[:n]


def prose(r: random.Random, n: int) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append(r.choice(WORDS) + ("." if r.random() < 0.1 else ""))
    return " ".join(words)[:n]


def json_text(r: random.Random, n: int) -> str:
    items = [{"id": i, "name": r.choice(WORDS), "n": r.randrange(10**6)} for i in range(n // 40)]
    return json.dumps(items)


MAKERS = {"code": code, "prose": prose, "json": json_text}


def calibrated_history(root: Path, sessions: int, seed: int) -> None:
    """Sessions of tool calls whose prompt growth the hidden tokenizer decides."""
    r = random.Random(seed)
    for s in range(sessions):
        lines: list[dict[str, Any]] = []
        prompt, output = 12_000, 80
        day = 2 + s * 20 // sessions
        for i in range(r.randrange(15, 40)):
            ts = f"2026-11-{day:02d}T{8 + i // 60:02d}:{i % 60:02d}:00Z"
            lines.append(_assistant(f"s{s}", f"s{s}-m{i}", ts, prompt, output))
            blocks, added = [], OVERHEAD
            for _ in range(r.choice((1, 1, 2))):
                kind = r.choice(("code", "code", "prose", "json"))
                text = MAKERS[kind](r, int(r.lognormvariate(7, 1)) + 50)
                blocks.append({"type": "tool_result", "tool_use_id": "t", "content": text})
                added += round(len(text) / TRUE_RATIOS[kind] * r.uniform(1 - JITTER, 1 + JITTER))
            lines.append({"type": "user", "sessionId": f"s{s}", "timestamp": ts,
                          "message": {"role": "user", "content": blocks}})  # fmt: skip
            prompt, output = prompt + output + added, r.randrange(20, 900)
        path = root / "projects" / "bench" / f"s{s}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(ln) + "\n" for ln in lines))


def _assistant(session: str, mid: str, ts: str, prompt: int, output: int) -> dict[str, Any]:
    usage = {"input_tokens": 5, "output_tokens": output, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": prompt - 5}  # fmt: skip
    message = {"id": mid, "model": "claude-sonnet-4-5-20250929", "usage": usage,
               "content": [{"type": "text", "text": "ok"}]}  # fmt: skip
    return {"type": "assistant", "sessionId": session, "timestamp": ts, "message": message}


def calibration_figures(tmp: Path, sessions: int, seed: int) -> None:
    own = tmp / "calibrated"
    calibrated_history(own, sessions, seed)
    pairs = collect_pairs([own])
    c = calibrate(pairs)
    cut = len(pairs) - max(2, round(len(pairs) * 0.2))
    trial = fit(pairs[:cut])
    assert c is not None
    assert trial is not None
    default = median_error_pct(Fit({}, 0.0), pairs[cut:])
    ratios = ", ".join(f"{k} {v:.2f}" for k, v in c.ratios)
    truth = ", ".join(f"{k} {v:.2f}" for k, v in TRUE_RATIOS.items())
    print(f"calibrated history: {len(pairs)} request pairs, {c.held_back} held back")
    print(f"  fitted chars/token: {ratios} (true: {truth}; overhead {c.overhead_tokens}, "
          f"true {OVERHEAD})")  # fmt: skip
    print(f"  median error on held-back pairs: calibrated {c.error_pct:.1f}%, "
          f"defaults {default:.1f}%")  # fmt: skip
    synth = tmp / "synth"
    generate(synth, seed=seed, sessions=sessions)
    s_pairs = collect_pairs([synth])
    s = calibrate(s_pairs)
    if s is not None:
        kept = "defaults kept" if s.defaults_kept else "fitted"
        print(f"synth.generate history: {len(s_pairs)} pairs, {kept}, median error "
              f"{s.error_pct:.1f}% (its prompt growth is unrelated to its text)")  # fmt: skip


def tree(root: Path, files: int, seed: int) -> None:
    r = random.Random(seed)
    for i in range(files):
        pick = i % 20
        if pick == 0:
            rel, data = f"node_modules/pkg{i % 37}/index{i}.js", code(r, 400)
        elif pick == 1:
            rel, data = f"docs/page{i}.md", prose(r, r.randrange(500, 8000))
        elif pick == 2:
            rel, data = f"data/fixture{i}.json", json_text(r, r.randrange(400, 6000))
        elif pick == 3:
            rel, data = f"src/copy{i}.py", code(random.Random(1), 1500)  # duplicates
        else:
            rel, data = f"src/pkg{i % 50}/mod{i}.py", code(r, r.randrange(300, 12_000))
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data)
    (root / "package-lock.json").write_text(json_text(r, 20_000))
    (root / "assets").mkdir()
    (root / "assets" / "logo.png").write_bytes(bytes(r.randrange(256) for _ in range(4000)))


def timed(args: list[str]) -> tuple[float, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(args)
    took = time.perf_counter() - start
    assert code == 0
    return took, out.getvalue()


def speed_figures(tmp: Path, files: int, seed: int) -> None:
    root = tmp / "tree"
    tree(root, files, seed)
    vault = tmp / "vault"
    shutil.copytree(REPO / "vault", vault, ignore=shutil.ignore_patterns(".tokenbook*"))
    args = ["preflight", str(root), "--json", "--vault", str(vault), "--as-of", "2026-11-18"]
    cold, out = timed(args)
    warm, again = timed(args)
    assert out == again
    result = json.loads(out)
    runs = [timed(args)[0] for _ in range(5)]
    print(f"preflight on {len(result['files']):,} files ({result['total_tokens']:,} tokens, "
          f"{len(result['suggestions'])} suggestions):")  # fmt: skip
    print(f"  first run (no cache) {cold:.3f}s, second run {warm:.3f}s, "
          f"median of 5 more {statistics.median(runs):.3f}s (in-process)")  # fmt: skip
    scans = []
    for _ in range(5):
        start = time.perf_counter()
        scanner = Scanner(vault_cache(vault))
        scanner.scan(root)
        scans.append(time.perf_counter() - start)
    print(f"  the walk alone with the cache: {statistics.median(scans):.3f}s, "
          f"{scanner.read} files read")  # fmt: skip


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        calibration_figures(tmp, args.sessions, args.seed)
        speed_figures(tmp, args.files, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(run())
