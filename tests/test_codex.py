"""Codex CLI rollouts: every billed response once, against a generated history with every
documented quirk, an independent reference count, and the naive sum that overcounts."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from tests.agents.codex_gen import SENTINEL
from tests.agents.codex_gen import Truth
from tests.agents.codex_history import build
from tests.agents.codex_ref import naive
from tests.agents.codex_ref import reference
from tokenbook.sources import codex
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth, Read]:
    home = tmp_path_factory.mktemp("codex") / "home"
    truth = build(home)
    return home, truth, codex.read([home])


def rows(responses: list[Response]) -> list[tuple[str, str, str, str, int, int, int]]:
    return sorted(
        (
            r.session,
            r.at.date().isoformat(),
            r.model,
            r.speed,
            r.tokens.input,
            r.tokens.cache_read,
            r.tokens.output,
        )
        for r in responses
    )


def totals(found: list[tuple[str, str, str, str, int, int, int]]) -> tuple[int, int, int]:
    return (sum(r[4] for r in found), sum(r[5] for r in found), sum(r[6] for r in found))


def test_the_reader_equals_the_truth_and_the_reference_count(history):
    home, truth, read = history
    expected = sorted(
        (t.session, t.at.date().isoformat(), t.model, t.speed, t.input, t.cache_read, t.output)
        for t in truth.responses
    )
    assert len(expected) == 26
    assert rows(read.responses) == expected
    assert sorted(reference(home, "gpt-5.1-codex")) == expected


def test_per_day_and_per_session_totals_equal_the_reference_to_the_token(history):
    home, _, read = history
    ref = reference(home, "gpt-5.1-codex")
    for column in (0, 1):  # by session, by day
        mine: Counter[str] = Counter()
        theirs: Counter[str] = Counter()
        for r in rows(read.responses):
            mine[r[column]] += r[4] + r[5] + r[6]
        for r in ref:
            theirs[r[column]] += r[4] + r[5] + r[6]
        assert mine == theirs
        assert len(mine) > 1


def test_summing_every_snapshot_overcounts(history):
    home, truth, read = history
    true_totals = totals(rows(read.responses))
    assert true_totals == (
        sum(t.input for t in truth.responses),
        sum(t.cache_read for t in truth.responses),
        sum(t.output for t in truth.responses),
    )
    wrong = naive(home)
    assert all(w > t for w, t in zip(wrong, true_totals, strict=True))


def test_keys_are_unique_and_a_second_read_is_identical(history):
    home, _, read = history
    keys = [r.key for r in read.responses]
    assert len(keys) == len(set(keys))
    assert codex.read([home]).responses == read.responses


def test_attribution_fields(history):
    _, _, read = history
    main = [r for r in read.responses if r.session.endswith("1") and r.main]
    assert {r.project for r in main} == {"/home/dev/src/webapp"}
    assert {r.branch for r in main} == {"feature/auth-login"}
    worker = [r for r in read.responses if r.agent == "worker"]
    assert worker
    assert all(not r.main and r.session.endswith("000000000001") for r in worker)
    assert all(r.agent_id.endswith("000000000004") for r in worker)
    guardian = [r for r in read.responses if r.agent == "guardian"]
    assert [r.model for r in guardian] == ["gpt-5.5"]
    assert {r.speed for r in read.responses} == {"standard", "fast", "flex"}
    assert all(r.at.tzinfo is UTC for r in read.responses)


def test_malformed_lines_are_reported_not_fatal(history):
    _, truth, read = history
    assert len(read.skipped) == truth.malformed
    reasons = sorted(s.message for s in read.skipped)
    assert reasons == [
        "incomplete last line (the agent may still be writing it); skipped for now",
        "not a complete JSON object (truncated?); line skipped",
        "total_token_usage.input_tokens is str, expected a whole number; line skipped",
    ]
    assert all(s.line > 0 and s.path.endswith(".jsonl") for s in read.skipped)


def test_no_text_from_the_logs_reaches_a_response(history):
    home, _, read = history
    planted = sum(p.read_text().count(SENTINEL) for p in home.rglob("*.jsonl"))
    assert planted > 100
    assert SENTINEL not in repr(read.responses)
    assert SENTINEL not in repr(read.skipped)


def test_an_unreadable_file_is_reported(tmp_path, monkeypatch):
    home = tmp_path / "home"
    build(home)
    victim = sorted(home.rglob("rollout-*0002.jsonl"))[0]
    real = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == victim:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    read = codex.read([home])
    assert [s for s in read.skipped if s.line == 0] == [
        type(read.skipped[0])(str(victim), 0, "cannot read the file (Permission denied); skipped")
    ]
    assert not any(r.session.endswith("000000000002") for r in read.responses)


def line(kind: str, payload: dict, at: str | int = "2026-11-03T10:00:00.000Z") -> str:
    return json.dumps({"timestamp": at, "type": kind, "payload": payload})


def token_count(total: list[int], last: list[int] | None, at: str | int) -> str:
    names = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
    info: dict = {"total_token_usage": dict(zip(names, total, strict=True))}
    if last is not None:
        info["last_token_usage"] = dict(zip(names, last, strict=True))
    return line("event_msg", {"type": "token_count", "info": info}, at)


def write_rollout(home: Path, name: str, lines: list[str], archived: bool = False) -> Path:
    folder = home / ("archived_sessions" if archived else "sessions/2026/11/03")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rollout-2026-11-03T10-00-00-{name}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_active_copy_wins_over_a_longer_archived_one(tmp_path):
    meta = line("session_meta", {"id": "t1", "cwd": "/w"})
    first = token_count([100, 0, 10, 0], [100, 0, 10, 0], "2026-11-03T10:00:05.000Z")
    second = token_count([300, 0, 30, 0], [200, 0, 20, 0], "2026-11-03T10:00:09.000Z")
    write_rollout(tmp_path, "t1", [meta, first])
    write_rollout(tmp_path, "t1", [meta, first, second], archived=True)
    read = codex.read([tmp_path])
    assert [r.tokens.input for r in read.responses] == [100]


def test_totals_only_counts_the_difference_and_a_drop_counts_in_full(tmp_path):
    lines = [
        line("session_meta", {"id": "t2"}),
        line("turn_context", {"model": "gpt-5.4", "service_tier": "priority"}),
        token_count([100, 40, 10, 0], None, "2026-11-03T10:00:01.000Z"),
        token_count([100, 40, 10, 0], None, "2026-11-03T10:00:02.000Z"),
        token_count([250, 90, 25, 0], None, "2026-11-03T10:00:03.000Z"),
        token_count([30, 0, 3, 0], None, "2026-11-03T10:00:04.000Z"),
    ]
    write_rollout(tmp_path, "t2", lines)
    read = codex.read([tmp_path]).responses
    got = [(r.tokens.input, r.tokens.cache_read, r.tokens.output) for r in read]
    assert got == [(60, 40, 10), (100, 50, 15), (30, 0, 3)]
    assert {r.speed for r in read} == {"fast"}


def test_model_falls_back_to_config_then_gpt5(tmp_path):
    usage = token_count([10, 0, 1, 0], [10, 0, 1, 0], "2026-11-03T10:00:05Z")
    lines = [line("session_meta", {"id": "t3"}), usage]
    write_rollout(tmp_path, "t3", lines)
    assert [r.model for r in codex.read([tmp_path]).responses] == ["gpt-5"]
    (tmp_path / "config.toml").write_text('model = "gpt-5.5"\n')
    assert [r.model for r in codex.read([tmp_path]).responses] == ["gpt-5.5"]
    (tmp_path / "config.toml").write_text("model = [broken\n")
    assert [r.model for r in codex.read([tmp_path]).responses] == ["gpt-5"]


def test_a_thread_naming_itself_as_parent_keeps_its_usage(tmp_path):
    lines = [
        line(
            "session_meta", {"id": "t4", "forked_from_id": "t4", "timestamp": "2026-11-03T10:00Z"}
        ),
        token_count([10, 0, 1, 0], [10, 0, 1, 0], "2026-11-03T10:00:00.500Z"),
    ]
    write_rollout(tmp_path, "t4", lines)
    assert len(codex.read([tmp_path]).responses) == 1


def test_default_dirs_and_layout():
    home = Path("/home/u")
    assert codex.default_dirs({}, home) == [home / ".codex"]
    env = {"CODEX_HOME": " /a , ~/b ,"}
    assert codex.default_dirs(env, home) == [Path("/a"), Path("~/b").expanduser()]


def test_looks_like(tmp_path):
    assert not codex.looks_like(tmp_path)
    (tmp_path / "archived_sessions").mkdir()
    assert codex.looks_like(tmp_path)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "rollout-2026-11-03T10-00-00-x.jsonl").write_text("")
    assert codex.looks_like(flat)


def test_numeric_timestamps_are_epoch_seconds_or_milliseconds(tmp_path):
    at = datetime(2026, 11, 3, 10, 0, 1, tzinfo=UTC)
    ms = int(at.timestamp() * 1000)
    lines = [
        line("session_meta", {"id": "t5"}),
        token_count([10, 0, 1, 0], [10, 0, 1, 0], ms),
        token_count([20, 0, 2, 0], [10, 0, 1, 0], ms // 1000 + 5),
    ]
    write_rollout(tmp_path, "t5", lines)
    got = [r.at for r in codex.read([tmp_path]).responses]
    assert got == [at, at.replace(second=6)]
