"""I/O failures (a full disk, a read-only vault, a failure halfway) are one message naming the
path and what to do, exit 1, no traceback, and no file half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook import fileio

COMMANDS = {
    "sync": ["sync", "--logs", "LOGS"],
    "render": ["render", "--as-of", "2026-11-20"],  # something to write
    "log": ["log", "--bet", "auth-login", "--tokens", "5", "--date", "2026-11-03"],
    "assign": ["assign", "s-x", "cafe-ui"],
}
REMEDY = {
    errno.ENOSPC: "the disk is full; free some space and run the command again",
    errno.EROFS: "the file system is read-only; run tokenbook on a writable clone of the vault",
    errno.EACCES: "no permission; make it readable and writable for you",
}


@pytest.fixture
def synced(capsys, vault: Path, logs: Path) -> Path:
    """A vault with a session in `unassigned` (so `assign` has rows to move), logs to read."""
    write_log(logs, "p/s.jsonl", [assistant("m-1", session="s-x", branch="spike/x")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    write_log(logs, "p/t.jsonl", [assistant("m-2", session="s-y", ts="2026-11-04T10:00:00Z")])
    return vault


def _args(command: str, logs: Path) -> list[str]:
    return [str(logs) if a == "LOGS" else a for a in COMMANDS[command]]


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"*{fileio.TEMP_SUFFIX}")]


@pytest.mark.parametrize("code", REMEDY, ids=[errno.errorcode[c] for c in REMEDY])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_write_that_fails_is_one_clear_message_and_nothing_changes(
    capsys, synced, logs, monkeypatch, command, code
):
    def fail(path: Path, data: bytes) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(fileio, "_replace", fail)
    before = snapshot(synced)
    status, _, err = run(capsys, *_args(command, logs), "--vault", synced)
    assert status == 1
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith(f"{synced}/"), line
    assert f": cannot write this file ({os.strerror(code)}); {REMEDY[code]}" in line
    assert snapshot(synced) == before
    assert _temp_files(synced) == []


def test_a_lock_file_that_cannot_be_created_names_it(capsys, synced, logs, monkeypatch):
    """A read-only vault: the first thing any writing command does is take the lock."""
    real_open = open

    def read_only(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "a" in mode or "w" in mode:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(fileio, "open", read_only, raising=False)
    for command in COMMANDS:
        status, _, err = run(capsys, *_args(command, logs), "--vault", synced)
        assert status == 1, command
        assert err == (
            f"{synced / fileio.LOCK_NAME}: {os.strerror(errno.EROFS)}; the file system is "
            "read-only; run tokenbook on a writable clone of the vault\n"
        )


def test_a_write_failing_halfway_leaves_each_file_old_or_new(capsys, synced, logs, monkeypatch):
    """sync writes ledgers, then renders; the disk fills up after the first file."""
    real = fileio._replace
    calls: list[Path] = []

    def second_fails(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(fileio, "_replace", second_fails)
    before = snapshot(synced)
    status, _, err = run(capsys, "sync", "--vault", synced, "--logs", logs)
    assert status == 1
    assert f"{calls[1]}: cannot write this file" in err
    after = snapshot(synced)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {str(calls[0].relative_to(synced))}
    assert _temp_files(synced) == []
    monkeypatch.undo()
    assert run(capsys, "sync", "--vault", synced, "--logs", logs)[0] == 0  # the next run heals


def test_a_folder_where_a_rendered_file_belongs_is_a_clear_message(capsys, synced):
    (synced / "cost-dashboard.md").unlink()
    (synced / "cost-dashboard.md").mkdir()
    status, _, err = run(capsys, "render", "--vault", synced)
    assert status == 1
    assert err == (
        f"{synced / 'cost-dashboard.md'}: cannot read this file ({os.strerror(errno.EISDIR)}); "
        "a folder is where a file should be; move the folder away\n"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_vault(capsys, synced, logs):
    folders = [synced, *(p for p in synced.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        status, _, err = run(capsys, "sync", "--vault", synced, "--logs", logs)
        assert status == 1
        assert "no permission" in err
        assert "Traceback" not in err
    finally:
        for folder in folders:
            folder.chmod(0o755)
