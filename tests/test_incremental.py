"""Incremental sync (the `.tokenbook-cache/` state) gives the very bytes a cold sync gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import user
from tests.helpers import write_log
from tests.synth import generate
from tokenbook.cache import CACHE_DIR
from tokenbook.cache import CACHE_FILE
from tokenbook.cache import MAGIC
from tokenbook.sources import claude_code
from tokenbook.sources import claude_read

LOG = "-home-dev-src-webapp/sess-1.jsonl"


def sync(capsys: Any, vault: Path, logs: Path) -> str:
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    return out


def append(path: Path, *lines: dict[str, Any] | str, newline: bool = True) -> None:
    text = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
    with open(path, "a", encoding="utf-8") as f:
        f.write(text if newline else text[:-1])


def cold(capsys: Any, vault: Path, logs: Path, tmp_path: Path) -> dict[str, bytes]:
    """The vault files after one sync of `logs` into a fresh copy of the empty vault."""
    fresh = tmp_path / "fresh"
    shutil.copytree(vault, fresh, ignore=shutil.ignore_patterns("ledgers", ".tokenbook*"))
    (fresh / "cost-dashboard.md").unlink(missing_ok=True)
    shutil.rmtree(fresh / "progress", ignore_errors=True)
    sync(capsys, fresh, logs)
    return snapshot(fresh)


def resynced_without_cache(capsys: Any, vault: Path, logs: Path) -> dict[str, bytes]:
    before = snapshot(vault)
    shutil.rmtree(vault / CACHE_DIR)
    assert "0 new API response(s), 0 updated" in sync(capsys, vault, logs)
    assert snapshot(vault) == before
    return before


def test_appends_mid_line_late_final_lines_and_resumed_copies_equal_one_cold_sync(
    capsys, vault, logs, tmp_path
):
    path = write_log(
        logs,
        LOG,
        [user("hi"), assistant("msg_a", "req_a", output=3, ts="2026-11-03T10:00:00.100Z")],
    )
    half = json.dumps(assistant("msg_b", "req_b", output=50, ts="2026-11-03T10:01:00.000Z"))
    append(path, half[:40], newline=False)  # the session is writing this line right now
    out = sync(capsys, vault, logs)
    assert "the ledgers count 1" in out
    # The line is completed, the final streamed line of msg_a arrives with more output, and a
    # subagent's progress copy and its own file appear.
    sub = assistant("msg_s", "req_s", sidechain=True, agent_id="ag1", output=7)
    progress = {
        "type": "progress",
        "sessionId": "sess-1",
        "timestamp": "2026-11-03T10:02:00Z",
        "data": {"type": "agent_progress", "agentId": "ag1", "message": sub},
    }
    append(path, half[40:])
    append(path, assistant("msg_a", "req_a", output=420, ts="2026-11-03T10:00:02.000Z"), progress)
    write_log(logs, "-home-dev-src-webapp/sess-1/subagents/agent-ag1.jsonl", [sub])
    (logs / "projects/-home-dev-src-webapp/sess-1/subagents/agent-ag1.meta.json").write_text(
        '{"agentType": "Explore"}'
    )
    assert "read 2 of 2 log file(s)" in sync(capsys, vault, logs)
    append(path, assistant("msg_d", "req_d", output=8, ts="2026-11-03T10:03:00.000Z"))
    assert "read 1 of 2 log file(s)" in sync(capsys, vault, logs)
    # A resumed session: a new file opens with copies of the old lines, then goes on.
    write_log(
        logs,
        "-home-dev-src-webapp/sess-2.jsonl",
        [
            assistant("msg_a", "req_a", output=420, ts="2026-11-03T10:00:02.000Z"),
            assistant("msg_b", "req_b", output=50, ts="2026-11-03T10:01:00.000Z"),
            assistant("msg_c", "req_c", output=9, session="sess-2", ts="2026-11-04T08:00:00Z"),
        ],
    )
    out = sync(capsys, vault, logs)
    assert "the ledgers count 5" in out
    ledger = (vault / "ledgers/auth-login.md").read_text()
    assert "| Explore |" in ledger
    assert snapshot(vault) == cold(capsys, vault, logs, tmp_path)
    resynced_without_cache(capsys, vault, logs)


def test_a_response_moving_to_another_row_is_recomputed_in_both(capsys, vault, logs, tmp_path):
    """A later-found earlier line of a response moves it to the previous day's row: both rows are
    recomputed from all their responses (the old row keeps its larger snapshot, as cold does)."""
    path = write_log(
        logs,
        LOG,
        [
            assistant("msg_a", "req_a", output=5, ts="2026-11-04T00:00:01Z"),
            assistant("msg_b", "req_b", output=6, ts="2026-11-04T00:00:02Z"),
        ],
    )
    sync(capsys, vault, logs)
    append(path, assistant("msg_b", "req_b", output=1, ts="2026-11-03T23:59:59Z"))
    sync(capsys, vault, logs)
    rows = [r for r in (vault / "ledgers/auth-login.md").read_text().split("\n") if "sess-1" in r]
    assert [r.split(" | ")[0] for r in rows] == ["| 2026-11-03", "| 2026-11-04"]
    resynced_without_cache(capsys, vault, logs)


def test_rewritten_shorter_or_deleted_logs_keep_their_rows(capsys, vault, logs):
    path = write_log(
        logs,
        LOG,
        [
            assistant("msg_a", "req_a", output=5),
            assistant("msg_b", "req_b", output=6, ts="2026-11-03T11:00:00Z"),
        ],
    )
    other = write_log(logs, "p/other.jsonl", [assistant("msg_o", "req_o", session="s-o")])
    sync(capsys, vault, logs)
    before = snapshot(vault)
    path.write_text(json.dumps(assistant("msg_z", "req_z", output=1)) + "\n")  # shorter
    other.unlink()
    out = sync(capsys, vault, logs)
    assert "the ledgers count 4" in out  # nothing taken out
    after = snapshot(vault)
    assert after != before
    assert resynced_without_cache(capsys, vault, logs) == after


def test_no_op_sync_reads_nothing_and_a_corrupt_or_old_cache_is_rebuilt(capsys, vault, logs):
    write_log(logs, LOG, [assistant("msg_a", "req_a"), "{not json"])
    sync(capsys, vault, logs)
    before = snapshot(vault)
    cache = vault / CACHE_DIR / CACHE_FILE
    _, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert "read 0 of 1 log file(s), 0 new bytes" in out
    # Reported when first seen; afterwards summed up in one line (`check` lists it).
    assert "1 log line(s) skipped in earlier syncs" in err
    _, _, err = run(capsys, "check", "--vault", vault)
    assert f"{logs / 'projects' / LOG}:2: not a complete JSON object" in err
    good = cache.read_bytes()
    for damaged in (b"garbage", good[:-10], good.replace(MAGIC, b"tokenbook sync cache 0\n"), b""):
        cache.write_bytes(damaged)
        assert "read 1 of 1 log file(s)" in sync(capsys, vault, logs)
        assert snapshot(vault) == before
    assert "read 0 of 1 log file(s)" in sync(capsys, vault, logs)  # rebuilt in full


def test_synth_corpus_synced_in_two_halves_equals_one_sync(capsys, vault, tmp_path):
    full = tmp_path / "full"
    generate(full, seed=11, target_bytes=1_500_000)
    logs = tmp_path / "growing"
    tails: dict[Path, bytes] = {}
    for src in sorted(full.rglob("*")):
        dest = logs / src.relative_to(full)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif src.suffix == ".jsonl":
            data = src.read_bytes()
            dest.write_bytes(data[: len(data) // 2])  # cut mid-line
            tails[dest] = data[len(data) // 2 :]
        else:
            shutil.copy2(src, dest)
    sync(capsys, vault, logs)
    for dest, rest in tails.items():
        with open(dest, "ab") as f:
            f.write(rest)
    sync(capsys, vault, logs)
    assert snapshot(vault) == cold(capsys, vault, full, tmp_path)


def test_usage_limit_lines_become_limit_events_and_count_nothing(logs):
    limit = assistant(
        "6c1e0d7a-uuid",
        None,
        ts="2026-11-03T15:00:00.000Z",
        model="<synthetic>",
        input=0,
        output=0,
        cache_write=0,
        cache_read=0,
        text="Claude AI usage limit reached|1793725200",
    )
    write_log(logs, LOG, [assistant("msg_a", "req_a"), limit])
    write_log(logs, "p/resumed.jsonl", [limit])  # a resumed copy is the same event
    got = claude_code.collect([logs])
    assert [e.key for e in got.events] == ["msg_a\x00req_a"]
    [event] = got.limits
    assert event.at.isoformat() == "2026-11-03T15:00:00+00:00"
    assert event.reset_at.isoformat() == "2026-11-03T17:00:00+00:00"
    assert event.session == "sess-1"


def test_reading_on_every_core_gives_the_same_ledgers(capsys, vault, tmp_path, monkeypatch):
    logs = tmp_path / "corpus"
    generate(logs, seed=12, target_bytes=800_000)
    one = cold(capsys, vault, logs, tmp_path)
    shutil.rmtree(tmp_path / "fresh")
    monkeypatch.setattr(claude_read, "PARALLEL_BYTES", 0)  # two processes for any size
    monkeypatch.setattr(claude_read, "FAST_BYTES", 0)  # and the typed decoder
    assert cold(capsys, vault, logs, tmp_path) == one


def test_a_cache_that_cannot_be_written_only_costs_time(capsys, vault, logs):
    write_log(logs, LOG, [assistant("msg_a", "req_a")])
    (vault / CACHE_DIR / CACHE_FILE).mkdir(parents=True)  # neither readable nor writable
    assert "read 1 of 1 log file(s)" in sync(capsys, vault, logs)
    assert "read 1 of 1 log file(s)" in sync(capsys, vault, logs)  # read again, same result
    assert "the ledgers count 1" in sync(capsys, vault, logs)


def _sync_ok(capsys, vault, logs):
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err


@pytest.mark.parametrize(
    ("first", "final"),
    [
        ({}, {"speed": "fast"}),  # `speed` is often only on a streamed response's final line
        ({"model": "claude-opus-4-6"}, {"model": "claude-sonnet-4-6"}),  # mid-stream fallback
    ],
    ids=["speed-on-final-line", "model-fallback"],
)
def test_a_response_that_moves_to_another_row_after_a_sync_counts_once(
    capsys, vault, logs, first, final
):
    """The placeholder line puts the response in one row; its final line, synced later, puts it
    in another (other speed or model). The first row must give the response back."""
    base = {"model": "claude-opus-4-6", **first}
    early = assistant("msg_a", "req_a", output=2, **base)
    other = assistant("msg_b", "req_b", output=5, ts="2026-11-03T10:00:05Z", **base)
    write_log(logs, "p/s.jsonl", [other, early])
    _sync_ok(capsys, vault, logs)
    late = assistant("msg_a", "req_a", output=400, ts="2026-11-03T10:00:09Z", **{**base, **final})
    write_log(logs, "p/s.jsonl", [other, early, late])
    _sync_ok(capsys, vault, logs)
    totals = report(capsys, vault, "daily")["totals"]
    assert (totals["responses"], totals["output_tokens"]) == (2, 405)
    incremental = {p.name: p.read_bytes() for p in (vault / "ledgers").glob("*.md")}
    shutil.rmtree(vault / ".tokenbook-cache")
    for p in (vault / "ledgers").glob("*.md"):
        p.unlink()
    _sync_ok(capsys, vault, logs)
    assert {p.name: p.read_bytes() for p in (vault / "ledgers").glob("*.md")} == incremental


def test_a_row_whose_only_response_moved_is_removed(capsys, vault, logs):
    """A subagent synced before its `agent-<id>.meta.json` existed counts as `subagent`; once
    the meta file names its type, the response moves to that row and the old one goes."""
    sub = assistant("msg_s", "req_s", session="parent", sidechain=True, agent_id="a1", output=9)
    write_log(logs, "p/parent/subagents/agent-a1.jsonl", [sub])
    _sync_ok(capsys, vault, logs)
    ledger = vault / "ledgers/auth-login.md"
    assert "| subagent |" in ledger.read_text()
    (logs / "projects/p/parent/subagents/agent-a1.meta.json").write_text('{"agentType": "Explore"}')
    _sync_ok(capsys, vault, logs)
    text = ledger.read_text()
    assert "| Explore |" in text
    assert "| subagent |" not in text
    assert report(capsys, vault, "daily")["totals"]["responses"] == 1


def test_a_merged_later_snapshot_is_not_replaced_by_an_older_view(capsys, vault, logs, tmp_path):
    """Another clone synced the same response after its final line arrived (same responses,
    more tokens); this clone's logs only ever saw the placeholder. Nothing is lost on merge."""
    write_log(logs, "p/s.jsonl", [assistant("msg_a", "req_a", output=2)])
    _sync_ok(capsys, vault, logs)
    ledger = vault / "ledgers/auth-login.tsv"
    other_logs = tmp_path / "other"
    write_log(other_logs, "p/s.jsonl", [assistant("msg_a", "req_a", output=500)])
    other = tmp_path / "other-vault"
    shutil.copytree(vault, other, ignore=shutil.ignore_patterns(".tokenbook*"))
    _sync_ok(capsys, other, other_logs)
    merged = ledger.read_text() + (other / "ledgers/auth-login.tsv").read_text()
    ledger.write_text(merged)  # what git's union merge leaves: both sides' lines
    _sync_ok(capsys, vault, logs)  # the ledgers changed behind the cache: every row regrouped
    assert report(capsys, vault, "daily")["totals"]["output_tokens"] == 500
