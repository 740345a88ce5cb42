"""`tokenbook sync` with nothing new answers before the CLI loads (`noop.py`): exactly what the
full sync prints, and only when the full sync would change nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook import noop
from tokenbook.commands import common
from tokenbook.sources import registry


def full(capsys: Any, *args: str | Path) -> tuple[int, str, str]:
    return run(capsys, "sync", *args)


def quick(capsys: Any, *args: str | Path) -> tuple[int | None, str, str]:
    """What the console script does with `tokenbook sync ARGS` before loading the CLI."""
    answer = noop.quiet_sync([str(a) for a in args])
    return (None, "", "") if answer is None else (0, *answer)


@pytest.fixture
def synced(capsys: Any, vault: Path, logs: Path) -> tuple[Path, Path]:
    write_log(logs, "p/s.jsonl", [assistant("m1", "r1"), "{not json"])
    write_log(logs, "p/s/subagents/agent-a1.jsonl", [assistant("m2", "r2", sidechain=True)])
    (logs / "projects/p/s/subagents/agent-a1.meta.json").write_text('{"agentType": "Explore"}')
    assert full(capsys, "--vault", vault, "--logs", logs)[0] == 0
    return vault, logs


@pytest.mark.parametrize("quiet", [[], ["--quiet"], ["-q", "--no-render"]])
def test_prints_what_the_full_sync_prints(capsys, synced, quiet):
    vault, logs = synced
    args = ["--vault", vault, "--logs", logs, *quiet]
    fast = quick(capsys, *args)
    assert fast[0] == 0
    assert fast == full(capsys, *args)  # the full sync finds nothing new either
    if not quiet:
        assert "read 0 of 2 log file(s)" in fast[1]
        assert "the ledgers count 2" in fast[1]
        assert "1 log line(s) skipped in earlier syncs" in fast[2]


def _append(vault: Path, logs: Path) -> None:
    with open(logs / "projects/p/s.jsonl", "a") as f:
        f.write(json.dumps(assistant("m3", "r3")) + "\n")


def _new_file(vault: Path, logs: Path) -> None:
    write_log(logs, "p/t.jsonl", [assistant("m4", "r4")])


def _meta(vault: Path, logs: Path) -> None:
    (logs / "projects/p/s/subagents/agent-a1.meta.json").write_text('{"agentType": "Plan"}')


def _bet(vault: Path, logs: Path) -> None:
    bet = next((vault / "bets").glob("*.md"))
    bet.write_text(bet.read_text() + "\nmore text\n")


def _ledger(vault: Path, logs: Path) -> None:
    ledger = next((vault / "ledgers").glob("*.md"))
    ledger.write_text(ledger.read_text() + "\n")


def _codex_home(vault: Path, logs: Path) -> None:
    (logs / "sessions").mkdir()  # `--logs DIR` now holds a Codex home too


def _removed(vault: Path, logs: Path) -> None:
    (logs / "projects/p/s/subagents/agent-a1.jsonl").unlink()


@pytest.mark.parametrize(
    "change", [_append, _new_file, _meta, _bet, _ledger, _codex_home, _removed]
)
def test_any_change_runs_the_full_sync(capsys, synced, change):
    vault, logs = synced
    change(vault, logs)
    assert quick(capsys, "--vault", vault, "--logs", logs)[0] is None


@pytest.mark.parametrize(
    "args",
    [
        ["--rebuild"],
        ["--help"],
        ["--wait", "soon"],
        ["--vault"],
        ["--frobnicate"],
        ["--qui"],  # argparse would take the abbreviation; this check does not
    ],
)
def test_arguments_it_does_not_know_run_the_full_sync(capsys, synced, args):
    vault, logs = synced
    assert quick(capsys, "--vault", vault, "--logs", logs, *args)[0] is None


def test_other_folders_or_environment_run_the_full_sync(capsys, synced, monkeypatch, tmp_path):
    vault, logs = synced
    assert quick(capsys, "--vault", vault)[0] is None  # default folders: not what was synced
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path))
    assert quick(capsys, "--vault", vault, "--logs", logs)[0] is None
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    os.chdir(logs.parent)  # the same folder named another way
    assert quick(capsys, "--vault", vault, "--logs", logs.name)[0] is None
    full(capsys, "--vault", vault, "--logs", logs.name)
    assert quick(capsys, "--vault", vault, "--logs", f"./{logs.name}/")[0] == 0


def test_a_sync_without_render_does_not_stand_for_one_with_render(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r1")])
    full(capsys, "--vault", vault, "--logs", logs, "--no-render")
    assert quick(capsys, "--vault", vault, "--logs", logs, "--no-render")[0] == 0
    assert quick(capsys, "--vault", vault, "--logs", logs)[0] is None


def test_whenever_it_answers_the_full_sync_changes_no_byte(capsys, synced):
    vault, logs = synced
    steps = [_append, _meta, _new_file, _bet, _removed]
    for step in [None, *steps]:
        if step is not None:
            step(vault, logs)
        if quick(capsys, "--vault", vault, "--logs", logs)[0] == 0:
            before = snapshot(vault)
            out = full(capsys, "--vault", vault, "--logs", logs)[1]
            assert "0 new API response(s), 0 updated" in out
            assert snapshot(vault) == before
        full(capsys, "--vault", vault, "--logs", logs)  # records what it saw
        assert quick(capsys, "--vault", vault, "--logs", logs)[0] == 0


def test_the_path_spelling_is_pathlibs(capsys):
    for text in ["", ".", "./a/", "a//b", "/a/./b/", "//a", "///a", "/", "a/../b", "~/x"]:
        assert noop.as_path(text) == str(Path(text))
    assert common.CLAUDE_CODE == registry.CLAUDE_CODE


def test_plan_windows_and_blocks_read_only_the_unsynced_bytes(capsys, vault, tmp_path):
    """`status` and `report blocks` see what reading every log sees (conftest compares), and
    read only what the last sync did not."""
    from tests.synth import generate
    from tokenbook.logview import log_events
    from tokenbook.sources import claude_read
    from tokenbook.store import load_ledgers
    from tokenbook.vault import load_vault

    logs = tmp_path / "corpus"
    generate(logs, seed=5, target_bytes=600_000)
    full(capsys, "--vault", vault, "--logs", logs)
    paths = sorted(logs.rglob("*.jsonl"))
    with open(paths[0], "a") as f:
        f.write(json.dumps(assistant("late", "late", session="late")) + "\n")
    paths[1].unlink()
    read: list[int] = []
    real = claude_read.read_jobs

    def counting(jobs: Any, sizes: Any, *args: Any, **kw: Any) -> Any:
        read.append(sum(sizes[p] - start for p, start, _ in jobs))
        return real(jobs, sizes, *args, **kw)

    ledgers = load_ledgers(load_vault(vault))
    claude_read.read_jobs = counting  # type: ignore[assignment]
    try:
        events = log_events(vault, [logs], ledgers)
    finally:
        claude_read.read_jobs = real  # type: ignore[assignment]
    assert read[0] < 1000  # the appended line, not the corpus
    assert "late" in {e.session for e in events}
