"""Gemini CLI chats: the last write of each message counts once, cached input subtracted and
thoughts billed as output, against a generated folder with every documented quirk."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.agents.gemini_gen import SENTINEL
from tests.agents.gemini_gen import Truth
from tests.agents.gemini_gen import build
from tests.agents.gemini_ref import naive
from tests.agents.gemini_ref import reference
from tokenbook.sources import gemini
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response


@pytest.fixture(scope="module")
def chats(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, Read]:
    folder = tmp_path_factory.mktemp("gemini") / ".gemini"
    truth = build(folder)
    return folder, truth, gemini.read([folder])


Row = tuple[str, str, str, int, int, int, str, bool]


def rows(responses: list[Response]) -> list[Row]:
    return sorted(
        (r.session, r.at.date().isoformat(), r.model, r.tokens.input, r.tokens.cache_read,
         r.tokens.output, r.project, r.main)
        for r in responses
    )  # fmt: skip


def test_the_reader_equals_the_truth_and_the_reference_count(chats):
    folder, truth, read = chats
    expected = sorted(
        (t.session, t.day, t.model, t.input, t.cache_read, t.output, t.project, t.main)
        for t in truth.responses
    )
    assert len(expected) == 12
    assert rows(read.responses) == expected
    assert sorted(reference(folder)) == expected


def test_per_day_and_per_session_totals_equal_the_reference(chats):
    folder, _, read = chats
    for column in (0, 1):
        mine: Counter[str] = Counter()
        theirs: Counter[str] = Counter()
        for r in rows(read.responses):
            mine[r[column]] += r[3] + r[4] + r[5]
        for r in reference(folder):
            theirs[r[column]] += r[3] + r[4] + r[5]
        assert mine == theirs
        assert len(mine) > 1


def test_counting_every_record_overcounts(chats):
    folder, _, read = chats
    assert naive(folder) > sum(r[3] + r[4] + r[5] for r in rows(read.responses))


def test_keys_are_unique_and_stable(chats):
    folder, _, read = chats
    keys = [r.key for r in read.responses]
    assert len(keys) == len(set(keys))
    assert gemini.read([folder]).responses == read.responses


def test_no_branch_and_sub_agents_under_their_parent(chats):
    _, _, read = chats
    assert {r.branch for r in read.responses} == {""}
    sub = [r for r in read.responses if not r.main]
    assert {(r.session, r.agent_id) for r in sub} == {("sess-a", "sub-1")}
    projects = {r.project for r in read.responses}
    assert projects == {"/home/dev/src/webapp", "/home/dev/src/api", ""}


def test_bad_input_is_reported_not_fatal(chats):
    _, truth, read = chats
    assert len(read.skipped) == truth.malformed
    assert sorted(s.message for s in read.skipped) == [
        "incomplete last line (the agent may still be writing it); skipped for now",
        "not a complete JSON object (truncated?); line skipped",
        "tokens.input = -5 is out of range; message skipped",
    ]
    assert all(s.line > 0 for s in read.skipped)


def test_no_text_reaches_a_response(chats):
    folder, _, read = chats
    planted = sum(p.read_text().count(SENTINEL) for p in folder.rglob("*.json*"))
    assert planted > 50
    assert SENTINEL not in repr(read.responses)
    assert SENTINEL not in repr(read.skipped)


def test_tokens_cached_is_part_of_input_unless_total_says_otherwise():
    inclusive = {
        "input": 1000,
        "cached": 600,
        "output": 10,
        "thoughts": 5,
        "tool": 3,
        "total": 1018,
    }
    t = gemini.tokens(inclusive)
    assert (t.input, t.cache_read, t.output) == (403, 600, 15)
    apart = inclusive | {"total": 1618}
    t = gemini.tokens(apart)
    assert (t.input, t.cache_read, t.output) == (1003, 600, 15)
    more_cached_than_input = {"input": 100, "cached": 600, "output": 10}
    assert gemini.tokens(more_cached_than_input).input == 100


def test_the_tmp_folder_itself_can_be_given(chats):
    folder, _, read = chats
    assert rows(gemini.read([folder / "tmp"]).responses) == rows(read.responses)


def test_default_dirs():
    home = Path("/home/u")
    assert gemini.default_dirs({}, home) == [home / ".gemini"]
    assert gemini.default_dirs({"GEMINI_CLI_HOME": "/x"}, home) == [Path("/x/.gemini")]
    env = {"GEMINI_DATA_DIR": "/a/tmp, /b/tmp", "GEMINI_CLI_HOME": "/x"}
    assert gemini.default_dirs(env, home) == [Path("/a/tmp"), Path("/b/tmp")]


def test_looks_like(tmp_path):
    assert not gemini.looks_like(tmp_path)
    (tmp_path / "tmp" / "slug" / "chats").mkdir(parents=True)
    assert gemini.looks_like(tmp_path)
    assert gemini.looks_like(tmp_path / "tmp")
