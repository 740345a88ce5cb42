"""Syncs started at once on one vault (overlapping SessionEnd hooks) never corrupt or double count.

Each sync holds `<vault>/.tokenbook.lock` for its whole read-merge-write; the others wait for it
(`--wait`), or stop cleanly with a message and write nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tests.synth import generate
from tests.test_crash import _first_half
from tests.test_crash import _state
from tokenbook.fileio import vault_lock


def _start(vault: Path, logs: Path, wait: float) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tokenbook", "sync", "--quiet", "--wait", str(wait)]
    return subprocess.Popen(
        [*cmd, "--vault", str(vault), "--logs", str(logs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.mark.slow
def test_syncs_started_together_give_the_same_vault_as_one_sync(capsys, vault, tmp_path):
    logs = tmp_path / "claude"
    generate(logs, seed=5, target_bytes=300_000)
    half = tmp_path / "claude-half"
    _first_half(logs, half)
    clean = tmp_path / "clean"
    shutil.copytree(vault, clean)
    assert run(capsys, "sync", "--quiet", "--vault", clean, "--logs", logs)[0] == 0

    # Four syncs at once, two seeing only the first half of every session (an older hook).
    procs = [_start(vault, half if i % 2 else logs, wait=120) for i in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert _state(vault) == _state(clean)
    code, _, _ = run(capsys, "check", "--vault", vault)
    assert code == 0
    # Nothing counted twice: the report equals the clean vault's.
    assert (
        run(capsys, "report", "session", "--json", "--vault", vault)[1]
        == (run(capsys, "report", "session", "--json", "--vault", clean)[1])
    )


def test_a_sync_that_cannot_get_the_lock_stops_cleanly_without_writing(capsys, vault, logs):
    write_log(logs, "p/sess-1.jsonl", [assistant("msg_1")])
    before = _state(vault)
    with vault_lock(vault):
        proc = _start(vault, logs, wait=0.3)
        _, err = proc.communicate(timeout=60)
        code, _, err_inproc = run(capsys, "sync", "--wait", "0", "--vault", vault, "--logs", logs)
    assert proc.returncode == 1
    assert code == 1
    for message in (err, err_inproc):
        assert "Traceback" not in message
        assert "another tokenbook sync is running on this vault" in message
        assert "stops without writing anything" in message
    assert _state(vault) == before
    # Once the lock is free, the same command succeeds.
    assert run(capsys, "sync", "--quiet", "--wait", "0", "--vault", vault, "--logs", logs)[0] == 0
    assert _state(vault) != before


def test_waiting_syncs_merge_what_the_others_wrote(capsys, vault, logs):
    """Syncs read the ledgers only once they hold the lock, so rows another sync wrote
    meanwhile are merged, not overwritten or added again."""
    other = logs.parent / "other"
    write_log(logs, "p/sess-1.jsonl", [assistant("msg_1", output=100)])
    write_log(other, "p/sess-2.jsonl", [assistant("msg_2", session="sess-2", output=7)])
    with vault_lock(vault):  # both start while the vault is busy
        procs = [_start(vault, logs, wait=60), _start(vault, other, wait=60)]
        time.sleep(0.5)  # let them reach the lock (if they do not, the test still holds)
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    sessions = {r["session"]: r["output_tokens"] for r in report(capsys, vault, "session")["rows"]}
    assert sessions == {"sess-1": 100, "sess-2": 7}


def test_render_waits_for_a_running_sync(vault):
    """`render` takes the vault lock too, so it cannot write a dashboard from ledgers older than
    the ones a sync is writing: it starts only once the lock is released."""
    dashboard = vault / "cost-dashboard.md"
    with open(vault / ".tokenbook.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tokenbook", "render", "--vault", str(vault)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.5)
        assert proc.poll() is None  # still waiting for the lock
        assert not dashboard.exists()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert dashboard.exists()
