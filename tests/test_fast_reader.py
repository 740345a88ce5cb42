"""The typed decoder (`claude_fast`) answers exactly what the checked reader answers, or leaves
the line to it; blocks, offsets and two processes change nothing either.

Every hand-written log of the whole suite is also read both ways (`conftest.both_readers`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import assistant
from tests.synth import generate
from tests.test_badlogs import NASTY
from tokenbook.sources import claude_read
from tokenbook.sources import claude_scan
from tokenbook.sources.claude_fast import CHECK
from tokenbook.sources.claude_fast import decide
from tokenbook.sources.claude_scan import FileScan


def checked(line: bytes) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """What the checked reader makes of one line: responses, limit events, the skip reason."""
    out = FileScan("x", 0, 0, 0, 0)
    reason = claude_scan._checked(out, line, complete=True)
    return out.responses, out.limits, reason


def agrees(line: bytes) -> bool:
    """`decide` leaves the line to the checked reader, or says exactly what it says; True when it
    answered itself."""
    fast = decide(line)
    if fast is CHECK:
        return False
    responses, limits, reason = checked(line)
    assert (reason, limits) == (None, {}), line[:300]
    assert responses == (dict([fast]) if fast is not None else {}), line[:300]
    return True


def progress(sub: dict[str, Any], **outer: Any) -> dict[str, Any]:
    data = {"type": "agent_progress", "agentId": "a1b2", "message": sub}
    return {"type": "progress", "sessionId": "parent", "cwd": "/p", "data": data, **outer}


def _line(**kw: Any) -> bytes:
    return json.dumps(assistant("msg", "req", **kw)).encode()


ODD = [
    _line(),
    _line(ts="2026-11-03T10:00:00+02:00"),
    _line(ts="2026-11-03T10:00:00Z"),
    _line(ts="2026-11-03T10:00:59.999Z"),
    _line(ts="2026-11-03T10:00:60.000Z"),
    _line(ts="2026-02-30T10:00:00.000Z"),
    _line(ts="1999-12-31T23:59:59.999Z"),
    _line(ts="2099-12-31T23:59:59.999Z"),
    _line(ts="2026-11-03T10:00:00.000+00:00"),
    _line(ts="2026-11-03 10:00:00.000Z"),
    _line(ts="2026-11-03T10:0٣:00.000Z"),
    _line(ts="2026-11-03T10:00:00.1234Z"),
    _line(model="<synthetic>", text="Claude AI usage limit reached|1793725200"),
    _line(model=""),
    _line(session="café ☕", cwd="/ü/\u2028", branch="\x85"),
    _line(session="\U0001f600"),
    _line(inference_geo="GLOBAL", speed="fast"),
    _line(inference_geo="US", speed=None),
    _line(inference_geo=None, speed=3),
    _line(server_tool_use={"web_search_requests": 2, "web_fetch_requests": None}),
    _line(server_tool_use=None),
    _line(cache_creation=None),
    _line(cache_creation={"ephemeral_5m_input_tokens": None}),
    _line(cache_creation_input_tokens=None),
    _line(cache_read=None),
    _line(input=0, output=0, cache_write=0, cache_read=0),
    _line(output=100_000_000),
    _line(output=100_000_001),
    _line(sidechain=True, agent_id="abc"),
    _line(agent_id=None),
    json.dumps(progress(assistant("s", "r", sidechain=True))).encode(),
    json.dumps(progress(assistant("s", "r", agent_id="own"), gitBranch="b")).encode(),
    json.dumps(progress({"type": "user", "message": {"usage": {}}})).encode(),
    json.dumps({"type": "progress", "data": {"type": "bash_progress", "usage": 1}}).encode(),
    json.dumps({"type": "user", "toolUseResult": {"usage": {"input_tokens": 5}}}).encode(),
    json.dumps({"type": "assistant", "message": {"usage": {"input_tokens": 1}}}).encode(),
    json.dumps({"type": "assistant", "message": "usage"}).encode(),
    json.dumps({"type": "assistant", "usage": {}, "message": {"id": "m", "model": "x"}}).encode(),
    _line().replace(b'"type": "assistant"', b'"type": "user", "type": "assistant"'),
    _line().replace(b'"type": "assistant"', b'"typ\\u0065": "assistant"'),
    _line().replace(b'"sess-1"', b'"\\ud83d\\ude00"'),
    _line().replace(b'"sess-1"', b'"\\ud83d"'),
    _line().replace(b'"sess-1"', b'"s\xed\xa0\x80"'),
    _line().replace(b"Sure", b"S\xc3("),
    _line().replace(b'"Sure', b'"' + b"[" * 600),
    _line().replace(b'"parentUuid": null', b'"parentUuid": ' + b"[" * 600 + b"]" * 600),
    _line().replace(b'"parentUuid": null', b'"parentUuid": 1' + b"0" * 5000),
    _line().replace(b'"parentUuid": null', b'"parentUuid": 1' + b"0" * 4299),
    _line().replace(b'"parentUuid": null', b'"parentUuid": 1e999'),
    _line().replace(b'"parentUuid": null', b'"parentUuid": NaN'),
    b"\xef\xbb\xbf" + _line(),
    _line() + b" ",
    _line() + b"x",
]


@pytest.mark.parametrize("line", ODD + [line for _, line, _ in NASTY])
def test_the_typed_decoder_agrees_on_odd_lines(line):
    agrees(line)


def test_the_typed_decoder_answers_the_usual_lines_itself():
    assert all(agrees(line) for line in ODD[:4])
    assert agrees(json.dumps(progress(assistant("s", "r", sidechain=True))).encode())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_edit_of_a_line_is_answered_alike(data):
    line = data.draw(st.sampled_from(ODD[:2] + ODD[30:32]))
    i = data.draw(st.integers(0, len(line) - 1))
    piece = data.draw(st.binary(min_size=0, max_size=8).map(lambda b: b.replace(b"\n", b" ")))
    n = data.draw(st.integers(0, 3))
    agrees(line[:i] + piece + line[i + n :])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=7, target_bytes=3_000_000)
    return root


def test_every_line_of_the_synthetic_corpus(corpus):
    answered = 0
    for path in corpus.rglob("*.jsonl"):
        for line in path.read_bytes().split(b"\n"):
            if b'"usage"' in line and line.startswith(b"{") and line.endswith(b"}"):
                answered += agrees(line)
    assert answered > 400


def _files(s: claude_read.Scanned) -> list[tuple[Any, ...]]:
    return [
        (f.path, f.start, f.offset, f.lines, f.size, f.skipped, f.tail, f.missing, f.mark)
        for f in s.files
    ]


def test_whole_reads_agree_in_blocks_from_offsets_and_on_two_cores(corpus, monkeypatch):
    paths = sorted(str(p) for p in corpus.rglob("*.jsonl"))
    sizes = {p: Path(p).stat().st_size for p in paths}
    jobs = [(p, 0, 0) for p in paths]
    slow = claude_read.read_jobs(jobs, sizes, fast=False, cores=1)
    monkeypatch.setattr(claude_scan, "BLOCK", 1000)  # lines longer than a block, many blocks
    for fast, cores in ((True, 1), (True, 2), (False, 2)):
        got = claude_read.read_jobs(jobs, sizes, fast=fast, cores=cores)
        assert _files(got) == _files(slow)
        assert (got.responses, got.limits) == (slow.responses, slow.limits)
    # From the middle of each file: the same as the checked reader from there.
    mid = [(p, f.offset // 2, 0) for p, f in zip(paths, slow.files, strict=True)]
    halves = [claude_read.read_jobs(mid, sizes, fast=f, cores=1) for f in (False, True)]
    assert _files(halves[0]) == _files(halves[1])
    assert halves[0].responses == halves[1].responses
