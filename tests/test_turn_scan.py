"""The labels picked from the bytes of a block (`claude_turn_scan`) equal the per-line
filter's (tests/label_reference.py) on every transcript the tests write and on random edits of
their lines."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests import label_reference
from tests import test_claude_turns
from tests.synth import generate
from tests.turn_fixtures import write_project
from tokenbook.sources import claude_turn_scan
from tokenbook.sources import claude_turns
from tokenbook.sources.claude_turns import FileLabels

# Bytes that change what the filter decides: quoted keys (some sharing a quote, some escaped),
# line ends, blanks and braces.
PIECES = [
    b'"agentId"',
    b'"agentId":"a9"',
    b'"agentId"agentId"',
    b'\\"agentId"',
    b'"usage"',
    b'"usage":{"input_tokens":1,"output_tokens":2}',
    b'"requestId"',
    b'"requestId":"r9"',
    b'"requestId"requestId"',
    b'"requestId": "r8"',
    b'"requestId"requestId":"r7"',
    b'"agentId"agentId":"a5"',
    b'"message":{"id":"m9"',
    b'"message": {"model": "x", "id": "m8"',
    b'"message":',
    b'"agent_progress"',
    b'"Skill"',
    b'"Task"',
    b'"Agent"',
    b'"tool_use"',
    b'"tool_result"',
    b'"toolUseResult"',
    b'"toolUseResult":{"agentId":"a7","status":"forked"}',
    b'"backgroundTaskId":"b1"',
    b'"commandName":"/x"',
    b'"sessionKind":"bg"',
    b'"sessionKind"',
    b'"attributionAgent":"Explore"',
    b'"attributionSkill":"s"',
    b'"attributionSkill":" s "',
    b'"entrypoint":"sdk-cli"',
    b'"entrypoint":""',
    b'"queue-operation"',
    b'"scheduled_task_fire"',
    b'"user"',
    b'"assistant"',
    b"\n",
    b"\r",
    b" ",
    b"\x0b",
    b"{",
    b"}",
    b'"',
    b"\\",
    b"\xff",
]


def _same(path: Path) -> FileLabels:
    new = claude_turns.labels(path)
    old = label_reference.labels(path)
    assert new == old, path
    return new


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


@pytest.fixture(params=[claude_turn_scan.BLOCK, 97, 4096], ids=["block", "tiny", "small"])
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(claude_turn_scan, "BLOCK", request.param)
    return int(request.param)


def test_the_synthetic_corpus_and_the_hand_written_shapes(tmp_path: Path, block: int) -> None:
    generate(tmp_path, seed=3, sessions=24, max_payload=3000)
    files = write_project(tmp_path)
    spaced = write_project(tmp_path / "spaced", compact=False)
    paths = [*_files(tmp_path / "projects"), *files.values(), *spaced.values()]
    found = [_same(p) for p in paths]
    assert any(f.responses for f in found)
    assert any(f.spawns for f in found)
    assert any(f.copies for f in found)
    assert any(f.prompts for f in found)


def _plain(fn: Callable[..., Any]) -> bool:
    wants = set(inspect.signature(fn).parameters)
    named = fn.__name__.startswith("test_")
    return named and "tmp_path" in wants and wants <= {"tmp_path", "compact"}


TURN_TESTS = [
    fn for _, fn in inspect.getmembers(test_claude_turns, inspect.isfunction) if _plain(fn)
]


@pytest.mark.parametrize("test", TURN_TESTS, ids=[fn.__name__ for fn in TURN_TESTS])
def test_every_transcript_of_the_turn_tests(
    test: Callable[..., None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run tests/test_claude_turns.py's tests with each file they label checked both ways."""
    monkeypatch.setattr(test_claude_turns, "labels", _same)
    kwargs: dict[str, Any] = {"tmp_path": tmp_path}
    if "compact" in inspect.signature(test).parameters:
        kwargs["compact"] = True
    test(**kwargs)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> list[list[bytes]]:
    root = tmp_path_factory.mktemp("base")
    generate(root, seed=8, sessions=4, max_payload=200)
    paths = [*_files(root / "projects"), *write_project(root / "hand").values()]
    return [p.read_bytes().split(b"\n") for p in paths if p.stat().st_size < 200_000]


@pytest.mark.parametrize("head", [b"\n", b" \r\n\n", b"x\n", b"{}\n", b""])
@pytest.mark.parametrize("tail", [b"", b"\n", b"\n\n ", b"{"])
def test_blank_lines_first_and_odd_ends(
    base: list[list[bytes]], tmp_path: Path, head: bytes, tail: bytes
) -> None:
    """A bare `dequeue` counts as the first line after blank lines only."""
    for i, lines in enumerate(base):
        path = tmp_path / f"{i}.jsonl"
        path.write_bytes(head + b"\n".join(lines).rstrip(b"\n") + tail)
        _same(path)


_EDIT = st.tuples(
    st.sampled_from(["insert", "delete", "copy", "join"]),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.sampled_from(PIECES),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 10**6),
    edits=st.lists(_EDIT, min_size=1, max_size=6),
    name=st.sampled_from(["s.jsonl", "agent-a1.jsonl"]),
    block=st.sampled_from([claude_turn_scan.BLOCK, 61, 700]),
)
def test_random_edits_of_lines(
    base: list[list[bytes]],
    tmp_path_factory: pytest.TempPathFactory,
    which: int,
    edits: list[tuple[str, int, int, bytes]],
    name: str,
    block: int,
) -> None:
    lines = list(base[which % len(base)])
    for op, i, j, piece in edits:
        k = i % len(lines)
        line = lines[k]
        at = j % (len(line) + 1)
        if op == "insert":
            lines[k] = line[:at] + piece + line[at:]
        elif op == "delete":
            lines[k] = line[:at] + line[at + 1 + j % 40 :]
        elif op == "copy":
            lines.insert(j % (len(lines) + 1), line)
        elif k + 1 < len(lines):
            lines[k : k + 2] = [line + lines[k + 1]]
    path = tmp_path_factory.mktemp("edit") / name
    path.write_bytes(b"\n".join(lines))
    saved = claude_turn_scan.BLOCK
    claude_turn_scan.BLOCK = block
    try:
        _same(path)
    finally:
        claude_turn_scan.BLOCK = saved
