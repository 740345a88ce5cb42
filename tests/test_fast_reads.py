"""`status` and `report blocks` from the ledger cache's columns print what the slow paths print,
byte for byte: every log read again, an object per response, the blocks cut and priced row by
row and the plan windows grouped as before (`tests/reads_reference.py`), each ledger's places
from every record's context (`outcomes.usage_index`), the whole dashboard built.

The corpora are synthetic (`tests.synth`: subagents, sidechain replays, worktrees, branch
switches, unpriced models and regions); on top of a sync they get unsynced bytes (new sessions,
and a response streamed further in a log already read), deleted logs, and vaults whose plan
windows cross the cycle's end or whose timezone has half-hour offsets.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests import reads_reference
from tests.helpers import fresh_vault
from tests.helpers import run
from tests.synth import generate
from tokenbook import blockcut
from tokenbook import blocks
from tokenbook import logview
from tokenbook import outcomes
from tokenbook import plans
from tokenbook import status
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import from_events
from tokenbook.reports import Filter
from tokenbook.sources import claude_code
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.whatif import reprice

NOWS = ("2026-11-05T10:00:00Z", "2026-11-09T17:30:00Z", "2026-11-30T12:00:00Z")


def _read_every_log(
    root: Path, dirs: list[Path], ledgers: LedgerSet, since: Any = None
) -> Responses:
    events = claude_code.collect(dirs).events
    return from_events([e for e in events if since is None or e.at >= since])


def _index_usages(ledgers: LedgerSet, keep: Any = None) -> Any:
    index = outcomes.usage_index(ledgers, Filter() if keep is None else keep)  # from records
    return lambda bet: outcomes.bet_usage(ledgers, bet, keep, index)


def _slow(m: pytest.MonkeyPatch) -> None:
    """The paths before the columns (and every log read whole)."""
    real_dashboard = status.build_dashboard
    m.setattr(logview, "log_responses", _read_every_log)
    m.setattr(blockcut, "cut", reads_reference.cut_of)
    m.setattr(blocks, "build_blocks", reads_reference.build_blocks)
    m.setattr(plans, "_from_responses", reads_reference.window_usage)
    m.setattr(outcomes, "ledger_usages", _index_usages)
    m.setattr(
        status, "build_dashboard", lambda v, ledgers, as_of, **_: real_dashboard(v, ledgers, as_of)
    )


def _outputs(capsys: Any, vault: Path, logs: Path) -> list[str]:
    out = []
    for now in NOWS:
        at = ("--vault", vault, "--logs", logs, "--now", now)
        for args in (
            ("status", "--json", *at),
            ("status", *at),
            ("report", "blocks", "--json", *at),
            ("report", "blocks", "--breakdown", *at),
            ("report", "blocks", "--json", "--bet", "unassigned", "--since", "2026-11-04", *at),
            ("report", "blocks", "--json", "--project", "*webapp*", *at),
        ):
            code, text, err = run(capsys, *args)
            assert code == 0, err
            out.append(text)
    return out


def _same_as_slow(capsys: Any, monkeypatch: pytest.MonkeyPatch, vault: Path, logs: Path) -> None:
    with monkeypatch.context() as m:
        m.setattr(logview, "_read_all", _never)  # the fast path reads no log the sync read
        fast = _outputs(capsys, vault, logs)
    with monkeypatch.context() as m:
        _slow(m)
        slow = _outputs(capsys, vault, logs)
    for got, want in zip(fast, slow, strict=True):
        assert got == want
    assert json.loads(fast[2])["rows"], "the corpus has blocks"


def _never(*args: Any) -> None:
    raise AssertionError("every log read again")


def _sync(capsys: Any, vault: Path, logs: Path) -> None:
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs, "--quiet", "--no-render")
    assert code == 0, err


def _corpus(root: Path, seed: int, sessions: int = 12, **kw: Any) -> Path:
    generate(root, seed=seed, sessions=sessions, **kw)
    return root


@pytest.fixture
def synced(capsys: Any, tmp_path: Path) -> tuple[Path, Path]:
    vault = fresh_vault(tmp_path / "vault")
    logs = _corpus(tmp_path / "logs", seed=3)
    _sync(capsys, vault, logs)
    return vault, logs


def test_synced_logs(capsys, monkeypatch, synced):
    _same_as_slow(capsys, monkeypatch, *synced)


def test_unsynced_sessions_and_a_response_streamed_further(capsys, monkeypatch, synced, tmp_path):
    vault, logs = synced
    log, line = _a_response(logs)
    grown = json.loads(line)
    grown["message"]["usage"]["output_tokens"] += 7  # the final streamed line of the response
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(grown) + "\n")
    more = _corpus(tmp_path / "more", seed=4, sessions=4)
    for path in (more / "projects").rglob("*"):
        if path.is_file():
            dest = logs / "projects" / path.relative_to(more / "projects")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    _same_as_slow(capsys, monkeypatch, vault, logs)


def _a_response(logs: Path) -> tuple[Path, str]:
    """A main-thread log and the last line of it that is a whole response."""
    for log in sorted((logs / "projects").rglob("*.jsonl")):
        if "subagents" in log.parts:
            continue
        for line in reversed(log.read_text(encoding="utf-8").splitlines()):
            if '"type":"assistant"' in line.replace(" ", "") and '"usage"' in line:
                try:
                    if isinstance(json.loads(line)["message"]["usage"]["output_tokens"], int):
                        return log, line
                except (ValueError, KeyError, TypeError):
                    continue
    raise AssertionError("no response in the corpus")


def test_logs_deleted_after_a_sync(capsys, monkeypatch, synced):
    vault, logs = synced
    files = sorted((logs / "projects").rglob("*.jsonl"))
    for log in files[::3]:
        log.unlink()
    _same_as_slow(capsys, monkeypatch, vault, logs)


def test_plan_windows_across_the_cycles_end_and_no_cycle(capsys, monkeypatch, tmp_path):
    vault = fresh_vault(tmp_path / "vault")
    logs = _corpus(tmp_path / "logs", seed=5, **{"start": _at("2026-11-24T08:00:00Z"), "days": 8})
    _sync(capsys, vault, logs)
    _same_as_slow(capsys, monkeypatch, vault, logs)


def test_a_timezone_with_half_hour_offsets(capsys, monkeypatch, tmp_path):
    vault = fresh_vault(tmp_path / "vault")
    settings = vault / "tokenbook.md"
    settings.write_text(settings.read_text().replace("timezone: UTC", "timezone: Asia/Kolkata"))
    logs = _corpus(tmp_path / "logs", seed=6)
    _sync(capsys, vault, logs)
    _same_as_slow(capsys, monkeypatch, vault, logs)


def _at(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_repricing_sums_rows_that_prices_cannot_tell_apart(capsys, synced):
    """`whatif.reprice` (the dashboard's cheaper-model tip) prices sums of rows once: the same
    figures as row by row, for every ledger and every model."""
    vault = load_vault(synced[0])
    by_ledger = load_ledgers(vault).by_ledger()
    for rows in by_ledger.values():
        for target in vault.models:
            assert reprice(vault, rows, target) == reads_reference.reprice(vault, rows, target)


def test_a_record_the_ledgers_lost_sends_the_reads_back_to_every_log(capsys, synced):
    """A record the last sync read is gone from the ledgers (an edit that kept each file's size
    and time), and its response goes on in bytes no sync has read: reading those bytes alone
    would give the response a later time, so every log is read again."""
    vault, logs = synced
    log, line = _a_response(logs)
    grown = json.loads(line)
    grown["message"]["usage"]["output_tokens"] += 7
    grown["timestamp"] = "2026-11-30T09:00:00.000Z"  # the first line of it stays the earliest
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(grown) + "\n")
    rid = _record_id(grown)
    lost = [tsv for tsv in (vault / "ledgers").glob("*.tsv") if f"\nr\t{rid}\t" in tsv.read_text()]
    assert lost
    for tsv in lost:
        text, st = tsv.read_text(encoding="utf-8"), tsv.stat()
        tsv.write_text(text.replace(f"\nr\t{rid}\t", f"\nr\t{'0' * len(rid)}\t"))
        os.utime(tsv, ns=(st.st_atime_ns, st.st_mtime_ns))  # the sync cache sees no change
    for _ in range(2):  # the ledgers read from their files, then from the ledger cache
        code, _, err = run(capsys, "report", "blocks", "--json", "--vault", vault, "--logs", logs)
        assert code == 0, err


def _record_id(line: dict[str, Any]) -> str:
    from tokenbook.records import record_id

    return record_id("claude-code", line["message"]["id"], line["requestId"])
