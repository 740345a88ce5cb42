"""OpenCode: one response per API step from the database and the JSON storage, against a
generated data folder with every documented quirk and an independent reference count."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from tests.agents.opencode_gen import SENTINEL
from tests.agents.opencode_gen import Truth
from tests.agents.opencode_history import build
from tests.agents.opencode_ref import naive
from tests.agents.opencode_ref import reference
from tokenbook.sources import opencode
from tokenbook.sources import opencode_store
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, Read]:
    folder = tmp_path_factory.mktemp("opencode") / "opencode"
    truth = build(folder)
    return folder, truth, opencode.read([folder])


def rows(responses: list[Response]) -> list[tuple[str, str, str, int, int, int, int]]:
    return sorted(
        (r.session, r.at.date().isoformat(), r.model, r.tokens.input, r.tokens.cache_read,
         r.tokens.cache_write_5m, r.tokens.output)
        for r in responses
    )  # fmt: skip


def test_the_reader_equals_the_truth_and_the_reference_count(data):
    folder, truth, read = data
    expected = sorted(
        (t.session, t.day, t.model, t.input, t.cache_read, t.cache_write, t.output)
        for t in truth.responses
    )
    assert len(expected) == 13
    assert rows(read.responses) == expected
    assert sorted(reference(folder)) == expected


def test_per_day_and_per_session_totals_equal_the_reference(data):
    folder, _, read = data
    for column in (0, 1):
        mine: Counter[str] = Counter()
        theirs: Counter[str] = Counter()
        for r in rows(read.responses):
            mine[r[column]] += sum(r[3:])
        for r in reference(folder):
            theirs[r[column]] += sum(r[3:])
        assert mine == theirs
        assert len(mine) > 1


def test_message_tokens_alone_are_not_the_truth(data):
    """Summing each message's own tokens misses earlier steps and re-counts fork copies."""
    folder, _, read = data
    assert naive(folder) != sum(sum(r[3:]) for r in rows(read.responses))


def test_keys_are_unique_and_stable(data):
    folder, _, read = data
    keys = [r.key for r in read.responses]
    assert len(keys) == len(set(keys))
    assert opencode.read([folder]).responses == read.responses


def test_attribution_fields(data):
    _, _, read = data
    sub = [r for r in read.responses if not r.main]
    assert sub
    assert {(r.session, r.agent, r.agent_id) for r in sub} == {("ses_main", "explore", "ses_sub")}
    main = [r for r in read.responses if r.session == "ses_main"]
    assert {r.branch for r in main} == {"feature/auth-login"}
    assert {r.project for r in read.responses if r.session == "ses_json"} == {"/home/dev/src/cli"}
    assert {r.speed for r in read.responses} == {"standard"}


def test_bad_input_is_reported_not_fatal(data):
    _, truth, read = data
    assert len(read.skipped) == truth.malformed
    messages = sorted(s.message for s in read.skipped)
    assert messages[0] == "1 part row(s) hold malformed JSON; those rows skipped"
    assert any("is missing; skipped" in m for m in messages)
    assert any("tokens.input is str" in m for m in messages)
    assert any(m.startswith("not valid JSON") for m in messages)


def test_no_text_reaches_a_response(data):
    folder, _, read = data
    db = (folder / "opencode.db").read_bytes()
    assert db.count(SENTINEL.encode()) > 20
    assert SENTINEL not in repr(read.responses)
    assert SENTINEL not in repr(read.skipped)


def test_reading_never_writes_the_database(data):
    folder, _, _ = data
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    opencode.read([folder])
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before


def test_a_busy_database_is_skipped_with_a_clear_reason(tmp_path, monkeypatch):
    folder = tmp_path / "oc"
    build(folder)
    monkeypatch.setattr(opencode_store, "BUSY_SECONDS", 0.05)
    writer = sqlite3.connect(folder / "opencode.db", isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        read = opencode.read([folder])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    busy = [s for s in read.skipped if s.path.endswith("opencode.db")]
    assert [s.message for s in busy] == [
        "the database is busy (OpenCode is writing to it); skipped, run sync again"
    ]
    assert {r.session for r in read.responses} == {"ses_canary", "ses_json", "ses_main"}


def test_a_database_in_wal_mode_is_read_while_a_write_is_open(tmp_path):
    folder = tmp_path / "oc"
    build(folder)
    before = rows(opencode.read([folder]).responses)
    writer = sqlite3.connect(folder / "opencode.db", isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM part")  # not committed: readers still see every part
    try:
        read = opencode.read([folder])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert rows(read.responses) == before


def test_a_file_that_is_not_a_database_is_reported(tmp_path):
    (tmp_path / "opencode.db").write_bytes(b"not a database at all" * 100)
    read = opencode.read([tmp_path])
    assert read.responses == []
    assert [s.message[:30] for s in read.skipped] == ["not a readable SQLite database"]


def test_a_database_of_another_shape_is_reported(tmp_path):
    db = sqlite3.connect(tmp_path / "opencode-next.db")
    db.execute("CREATE TABLE session_message (id TEXT, type TEXT, data TEXT)")
    db.close()
    read = opencode.read([tmp_path])
    assert [s.message for s in read.skipped] == [
        "has no session/message/part tables: not an OpenCode database tokenbook reads; skipped"
    ]


def test_default_dirs():
    home = Path("/home/u")
    assert opencode.default_dirs({}, home) == [home / ".local/share/opencode"]
    assert opencode.default_dirs({"XDG_DATA_HOME": "/x"}, home) == [Path("/x/opencode")]
    env = {"OPENCODE_DATA_DIR": "/a,/b", "XDG_DATA_HOME": "/x"}
    assert opencode.default_dirs(env, home) == [Path("/a"), Path("/b")]


def test_looks_like(tmp_path):
    assert not opencode.looks_like(tmp_path)
    (tmp_path / "opencode-canary.db").write_bytes(b"")
    assert opencode.looks_like(tmp_path)
    legacy = tmp_path / "legacy"
    (legacy / "storage" / "message").mkdir(parents=True)
    assert opencode.looks_like(legacy)
