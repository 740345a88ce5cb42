"""The vault lock: one writer at a time, a clear message after the wait, and no `fcntl` needed
(a plain flock where there is one, `filelock`'s lock elsewhere: they exclude each other)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import filelock
import pytest

from tokenbook.errors import VaultLocked
from tokenbook.fileio import LOCK_NAME
from tokenbook.fileio import vault_lock

REPO = Path(__file__).resolve().parent.parent


def test_a_held_lock_makes_the_next_writer_wait_then_stop(tmp_path: Path) -> None:
    with filelock.FileLock(tmp_path / LOCK_NAME):
        started = time.monotonic()
        with pytest.raises(VaultLocked) as caught, vault_lock(tmp_path, wait_seconds=0.3):
            pytest.fail("the lock was taken twice")
        waited = time.monotonic() - started
    assert 0.3 <= waited < 5
    assert str(caught.value) == (
        f"{tmp_path / LOCK_NAME}: another tokenbook sync is running on this vault; it was "
        "still running after 0.3s, so this one stops without writing anything. "
        "Run sync again when it has finished."
    )
    # Released: the next writer gets it at once, and the lock is released again after it.
    with vault_lock(tmp_path, wait_seconds=0):
        pass
    with vault_lock(tmp_path, wait_seconds=0):
        pass


def test_filelock_waits_for_the_flock_and_takes_it_after(tmp_path: Path) -> None:
    other = filelock.FileLock(tmp_path / LOCK_NAME, timeout=0)
    with vault_lock(tmp_path, wait_seconds=0), pytest.raises(filelock.Timeout):
        other.acquire()
    other.acquire()
    other.release()


def test_the_lock_sweeps_temp_files_a_killed_run_left(tmp_path: Path) -> None:
    (tmp_path / "ledgers").mkdir()
    stale = tmp_path / "ledgers" / ".a.md.abcd1234.tokenbook-tmp"
    stale.write_text("half")
    mine = tmp_path / "ledgers" / "notes.tokenbook-tmp"  # not a name write_if_changed makes
    mine.write_text("keep")
    with vault_lock(tmp_path, wait_seconds=0):
        assert not stale.exists()
    assert mine.read_text() == "keep"


def test_the_lock_works_where_fcntl_does_not_exist(tmp_path: Path) -> None:
    """Windows has no `fcntl`: the module must import and lock without it."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "from pathlib import Path\n"
        "from tokenbook.fileio import vault_lock\n"
        f"with vault_lock(Path({str(tmp_path)!r}), wait_seconds=0):\n"
        "    print('locked')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, "locked\n"), done.stderr
