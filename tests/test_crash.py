"""Crash safety: `tokenbook sync` killed with SIGKILL at random points never loses or invents usage.

After each kill the vault passes `check`, and the next, uninterrupted sync leaves every file
(ledgers and rendered files alike) byte-identical to one clean sync from the same starting vault.
The sync cache (`.tokenbook-cache/`) is disposable, so it is left out of the comparison, but a
kill while it is written must not change what the next sync counts.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import run
from tests.synth import generate

pytestmark = pytest.mark.slow

RUNS = 64
CACHE_DIR = ".tokenbook-cache"


def _state(root: Path) -> dict[str, bytes]:
    """Every file's bytes below root, without the lock file and the disposable cache."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".tokenbook.lock" and CACHE_DIR not in p.parts
    }


def _first_half(full: Path, half: Path) -> None:
    """A config dir whose logs are the first half of each log's lines: a sync made mid-session."""
    for src in full.rglob("*"):
        dest = half / src.relative_to(full)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif src.suffix == ".jsonl":
            lines = src.read_bytes().split(b"\n")
            dest.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
        else:
            shutil.copy2(src, dest)


def _sync_process(vault: Path, logs: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tokenbook", "sync", "--quiet", "--wait", "60"]
    return subprocess.Popen(
        [*cmd, "--vault", str(vault), "--logs", str(logs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _folders(vault: Path) -> list[int]:
    """Modification times of the folders sync writes into: they change with its first write."""
    return [
        p.stat().st_mtime_ns if p.exists() else 0
        for p in (vault, vault / "ledgers", vault / "progress", vault / CACHE_DIR)
    ]


def _first_write(proc: subprocess.Popen[bytes], vault: Path) -> None:
    """Wait until sync writes its first file (or ends)."""
    before = _folders(vault)
    while proc.poll() is None and _folders(vault) == before:
        time.sleep(0.0005)


def _kill_after(vault: Path, logs: Path, delay: float, *, from_first_write: bool = False) -> int:
    """SIGKILL a sync `delay` seconds after it starts, or after its first write."""
    proc = _sync_process(vault, logs)
    if from_first_write:
        _first_write(proc, vault)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


def test_sync_killed_at_random_points_recovers_exactly(capsys, vault, tmp_path):
    logs = tmp_path / "claude"
    generate(logs, seed=11, target_bytes=3_000_000)
    half = tmp_path / "claude-half"
    _first_half(logs, half)

    # Two starting points: a fresh vault, and one synced mid-session (its rows must grow).
    fresh = vault
    midway = tmp_path / "midway"
    shutil.copytree(vault, midway)
    assert run(capsys, "sync", "--quiet", "--vault", midway, "--logs", half)[0] == 0
    starts = [fresh, midway]

    expected = []
    durations, write_phases = [], []
    for i, start in enumerate(starts):
        (start / ".tokenbook.lock").touch()  # its creation is not a write to wait for
        clean = tmp_path / f"clean-{i}"
        shutil.copytree(start, clean)
        began = time.monotonic()
        proc = _sync_process(clean, logs)
        _first_write(proc, clean)
        writing = time.monotonic()
        assert proc.wait() == 0
        durations.append(time.monotonic() - began)
        write_phases.append(time.monotonic() - writing)
        expected.append(_state(clean))
        assert expected[-1] != _state(start)
    duration, write_phase = max(durations), max(write_phases)

    rng = random.Random(20261122)
    killed = 0
    for n in range(RUNS):
        which = n % len(starts)
        work = tmp_path / f"run-{n}"
        shutil.copytree(starts[which], work)
        # Half the kills land anywhere in a sync, half while it writes (ledgers, rendered files,
        # the cache); every fourth run is killed twice in a row before the sync that completes.
        targeted = n % 2 == 1
        span = write_phase if targeted else duration
        delays = [rng.uniform(0, span * 1.1) for _ in range(2 if n % 4 == 3 else 1)]
        for delay in delays:
            code = _kill_after(work, logs, delay, from_first_write=targeted)
            killed += code == -signal.SIGKILL
            where = f"run {n} (start {which}, killed after {delays} s, {targeted=})"
            code, out, err = run(capsys, "check", "--vault", work)
            assert code == 0, f"{where}: check failed after the kill:\n{out}{err}"
        code, _, err = run(capsys, "sync", "--quiet", "--vault", work, "--logs", logs)
        assert code == 0, f"{where}: the sync after the kill failed:\n{err}"
        assert _state(work) == expected[which], f"{where}: vault differs from a clean sync"
        shutil.rmtree(work)
    assert killed >= RUNS // 4  # kills landed while sync was running


def test_temp_files_left_by_a_killed_write_are_removed_by_the_next_sync(capsys, vault, logs):
    """SIGKILL between writing a temp file and renaming it leaves `.<name>.<random>.tokenbook-tmp`
    behind; the next sync, holding the lock, deletes it (it must not be committed)."""
    assert run(capsys, "sync", "--quiet", "--vault", vault, "--logs", logs)[0] == 0
    before = _state(vault)
    stale = [
        vault / "ledgers" / ".unassigned.md.a1b2c3d4.tokenbook-tmp",
        vault / ".cost-dashboard.md.zz_99xyz.tokenbook-tmp",
    ]
    for path in stale:
        path.write_text("half a ledger", encoding="utf-8")
    keep = vault / "ledgers" / "notes.tmp"  # not ours: left alone
    keep.write_text("mine", encoding="utf-8")
    assert run(capsys, "check", "--vault", vault)[0] == 0
    assert run(capsys, "sync", "--quiet", "--vault", vault, "--logs", logs)[0] == 0
    assert not any(p.exists() for p in stale)
    assert keep.read_text(encoding="utf-8") == "mine"
    keep.unlink()
    assert _state(vault) == before
