"""A report printed before from the same files is answered before the CLI loads
(`answers.py`): byte for byte what the full command prints, and only while every vault file,
ledger, argument and setting that shapes it is as it was."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log
from tokenbook import answers
from tokenbook.commands import report
from tokenbook.commands.launch import main as launch

LATER = time.time_ns() + 10**12  # a clock past the racy window of the files just written


@pytest.fixture
def synced(capsys: Any, vault: Path, logs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_log(logs, "p/s.jsonl", [assistant("m1", "r1"), assistant("m2", "r2", model="x-1")])
    write_log(logs, "p/t.jsonl", [assistant("m3", "r3", session="sess-2", cwd="/home/café")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    monkeypatch.chdir(vault.parent)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return vault


def full(capsys: Any, argv: list[str]) -> str:
    """What the command prints through the whole CLI."""
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    return out


def kept(capsys: Any, argv: list[str], now: int = LATER) -> str:
    """Run the full command as the console script does when no answer is kept (keeping it)."""
    request = answers.request(argv)
    assert request is not None
    printed = []

    def command() -> int:
        code, out, err = run(capsys, *argv)
        printed.append(out + err)
        return code

    assert answers.record(request, command, now) == 0
    return printed[0]


def early(argv: list[str]) -> str | None:
    request = answers.request(argv)
    return None if request is None else answers.lookup(request)


ARGS = [
    ["report", "daily", "--json"],
    ["report", "session"],
    ["report", "monthly", "--breakdown"],
    ["report", "--json", "weekly", "--since", "2026-11-01", "--order", "tokens"],
    ["report", "model", "--breakdown=agent", "--project", "*/webapp"],
    ["report", "session", "--json", "--breakdown", "agent", "--source", "claude-code"],
    ["report", "skill", "--bet", "unassigned"],
]


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a[1:]) for a in ARGS])
def test_the_early_answer_is_what_the_full_command_prints(capsys, synced, args):
    argv = [*args, "--vault", str(synced)]
    printed = full(capsys, argv)
    assert early(argv) is None
    assert kept(capsys, argv) == printed
    assert early(argv) == printed
    assert full(capsys, argv) == printed  # and the full command still prints it


def test_the_console_script_answers_and_keeps(capsys, synced, monkeypatch):
    argv = ["report", "daily", "--vault", str(synced)]
    printed = full(capsys, argv)
    monkeypatch.setattr("sys.argv", ["tokenbook", *argv])
    assert launch() == 0  # its files were written just now: not kept (see the racy test)
    assert capsys.readouterr().out == printed
    assert early(argv) is None
    kept(capsys, argv)
    monkeypatch.setattr(answers, "record", None)  # the full command cannot run now
    assert launch() == 0
    assert capsys.readouterr().out == printed


def _touch_bet(vault: Path) -> None:
    path = vault / "bets" / "auth-login.md"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # same bytes, new ctime


def _edit_pricing(vault: Path) -> None:
    path = next((vault / "pricing").glob("*.md"))
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _ledger(vault: Path) -> None:
    path = next((vault / "ledgers").glob("*.tsv"))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1))


def _new_file(vault: Path) -> None:
    (vault / "plans" / "notes.txt").write_text("x")


def _replaced(vault: Path) -> None:
    """The same bytes and times in a new file (as a checkout or a copy makes)."""
    path = vault / "cycles" / "2026-11.md"
    st = path.stat()
    copy = path.with_suffix(".tmp")
    copy.write_bytes(path.read_bytes())
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    copy.replace(path)


@pytest.mark.parametrize("change", [_touch_bet, _edit_pricing, _ledger, _new_file, _replaced])
def test_any_change_to_a_vault_file_runs_the_full_command(capsys, synced, change):
    argv = ["report", "daily", "--json", "--vault", str(synced)]
    kept(capsys, argv)
    assert early(argv) is not None
    change(synced)
    assert early(argv) is None
    assert kept(capsys, argv) == full(capsys, argv)
    assert early(argv) == full(capsys, argv)


@pytest.mark.parametrize(
    "env", [{"NO_COLOR": "1"}, {"COLUMNS": "60"}, {"TZ": "Asia/Tokyo"}, {"FORCE_COLOR": "1"}]
)
def test_any_setting_that_shapes_the_output_is_part_of_the_key(capsys, synced, monkeypatch, env):
    argv = ["report", "session", "--vault", str(synced)]
    kept(capsys, argv)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert early(argv) is None
    assert kept(capsys, argv) == full(capsys, argv)


def test_another_argument_or_folder_is_another_answer(capsys, synced, monkeypatch):
    argv = ["report", "daily", "--vault", str(synced)]
    kept(capsys, argv)
    assert early([*argv, "--json"]) is None
    assert early(["report", "daily", "--vault", str(synced), "--since", "2026-11-04"]) is None
    monkeypatch.chdir(synced)
    assert early(argv) is None  # another working directory
    monkeypatch.setenv("TOKENBOOK_VAULT", str(synced))
    assert early(["report", "daily"]) is None


def test_a_terminal_is_part_of_the_key(capsys, synced, monkeypatch):
    argv = ["report", "session", "--vault", str(synced)]
    kept(capsys, argv)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Terminal())
    assert early(argv) is None


def test_deleting_the_answers_changes_nothing(capsys, synced):
    argv = ["report", "monthly", "--json", "--vault", str(synced)]
    printed = kept(capsys, argv)
    (synced / ".tokenbook-cache" / answers.CACHE_FILE).unlink()
    assert early(argv) is None
    assert kept(capsys, argv) == printed == full(capsys, argv)


def test_files_changed_in_the_last_moments_are_not_kept(capsys, synced):
    argv = ["report", "daily", "--vault", str(synced)]
    kept(capsys, argv, now=time.time_ns())  # the sync wrote the ledgers just now
    assert early(argv) is None
    kept(capsys, argv)
    assert early(argv) is not None


def test_a_failed_report_or_one_that_warns_is_not_kept(capsys, synced):
    argv = ["report", "daily", "--bet", "nope", "--vault", str(synced)]
    request = answers.request(argv)
    assert request is not None
    assert answers.record(request, lambda: run(capsys, *argv)[0], LATER) == 1
    assert early(argv) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "blocks"],  # reads the logs and the clock
        ["report", "bet"],  # reads git
        ["report", "daily", "--jso"],  # an abbreviation argparse would take
        ["report", "daily", "--help"],
        ["report", "daily", "weekly"],
        ["report", "daily", "--vault"],
        ["report", "daily", "--breakdown", "bet"],
        ["status"],
        ["report"],
    ],
)
def test_other_commands_and_arguments_are_never_answered(argv):
    assert answers.request(argv) is None


def test_the_kinds_are_the_reports_of_the_vault_files_alone():
    assert set(report.KINDS) - {"blocks", "bet"} == answers.KINDS
    assert set(report.PARTS) == answers.PARTS


def test_a_foreign_or_damaged_answers_file_is_not_used(capsys, synced):
    argv = ["report", "daily", "--vault", str(synced)]
    kept(capsys, argv)
    path = synced / ".tokenbook-cache" / answers.CACHE_FILE
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    assert early(argv) is None
    path.write_bytes(data.replace(b"\0", b"\1", 1))  # as if made for other files
    assert early(argv) is None
