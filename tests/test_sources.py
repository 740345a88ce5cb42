"""Every counting rule of the Claude Code source, through `sync` and `report --json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import user
from tests.helpers import write_log


def sync(capsys: Any, vault: Path, *logs: Path) -> tuple[int, str, str]:
    args: list[str | Path] = ["sync", "--vault", vault]
    for d in logs:
        args += ["--logs", d]
    return run(capsys, *args)


def totals(capsys: Any, vault: Path, logs: Path) -> dict[str, Any]:
    code, _, err = sync(capsys, vault, logs)
    assert code == 0, err
    return report(capsys, vault, "daily")["totals"]


def test_split_response_counts_once_with_the_largest_output(capsys, vault, logs):
    write_log(
        logs,
        "-home-dev-src-webapp/sess-1.jsonl",
        [
            assistant("msg_a", "req_a", output=3, ts="2026-11-03T10:00:00.100Z"),
            assistant("msg_a", "req_a", output=3, ts="2026-11-03T10:00:00.200Z"),
            assistant("msg_a", "req_a", output=412, ts="2026-11-03T10:00:01.000Z"),
        ],
    )
    t = totals(capsys, vault, logs)
    assert t["responses"] == 1
    assert (t["input_tokens"], t["output_tokens"]) == (10, 412)
    assert (t["cache_creation_input_tokens"], t["cache_read_input_tokens"]) == (1000, 5000)


def test_largest_output_wins_even_when_it_comes_first(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [assistant("msg_a", "req_a", output=900), assistant("msg_a", "req_a", output=2)],
    )
    assert totals(capsys, vault, logs)["output_tokens"] == 900


def test_missing_request_id_dedups_on_message_id(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("msg_a", None, output=1),
            assistant("msg_a", None, output=50),
            assistant("msg_b", None, output=7),
        ],
    )
    t = totals(capsys, vault, logs)
    assert (t["responses"], t["output_tokens"]) == (2, 57)


def test_same_message_new_request_on_main_thread_counts_twice(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [assistant("msg_a", "req_1", output=5), assistant("msg_a", "req_2", output=6)],
    )
    assert totals(capsys, vault, logs)["responses"] == 2


def test_resumed_copy_in_another_file_counts_once_under_the_old_session(capsys, vault, logs):
    old = assistant("msg_a", "req_a", session="old-session", output=40)
    write_log(logs, "p/old-session.jsonl", [old])
    write_log(
        logs,
        "p/new-session.jsonl",
        [
            old,
            assistant(
                "msg_b", "req_b", session="new-session", output=60, ts="2026-11-03T12:00:00Z"
            ),
        ],
    )
    code, _, err = sync(capsys, vault, logs)
    assert code == 0, err
    rows = {r["session"]: r for r in report(capsys, vault, "session")["rows"]}
    assert set(rows) == {"old-session", "new-session"}
    assert rows["old-session"]["output_tokens"] == 40
    assert rows["new-session"]["output_tokens"] == 60


def test_synthetic_lines_and_task_results_count_nothing(capsys, vault, logs):
    synthetic = assistant(
        "3f1c2b9e-0000-4000-8000-000000000000",
        None,
        model="<synthetic>",
        input=0,
        output=0,
        cache_write=0,
        cache_read=0,
        text="Claude AI usage limit reached|1763380800",
    )
    synthetic["isApiErrorMessage"] = True
    task_result = user("done")
    task_result["toolUseResult"] = {
        "usage": {"input_tokens": 999, "output_tokens": 999},
        "totalTokens": 1998,
    }
    write_log(logs, "p/s.jsonl", [synthetic, task_result, assistant("msg_a", "req_a", output=5)])
    t = totals(capsys, vault, logs)
    assert (t["responses"], t["output_tokens"]) == (1, 5)
    assert "<synthetic>" not in report(capsys, vault, "daily")["rows"][0]["models"]


def test_prompt_text_that_looks_like_usage_is_not_counted(capsys, vault, logs):
    tricky = user('assistant said "usage": {"input_tokens": 999, "output_tokens": 999}')
    write_log(logs, "p/s.jsonl", [tricky, assistant("msg_a", "req_a", output=5)])
    assert totals(capsys, vault, logs)["output_tokens"] == 5


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            '{"type":"assistant","message":{"id":"msg_x","usage":{"input_tok',
            "not a complete JSON object",
        ),
        (
            json.dumps(assistant("msg_x", "r", input="12")),  # type: ignore[arg-type]
            "usage.input_tokens is str, expected a whole number",
        ),
        (
            json.dumps(assistant("msg_x", "r", output=-5)),
            "usage.output_tokens = -5 is out of range",
        ),
        (json.dumps(assistant("msg_x", "r", output=10**12)), "is out of range"),
        (json.dumps(assistant("", "r")), "no message.id"),
        (json.dumps(assistant("msg_x", "r", ts="yesterday")), "is not an ISO-8601 time"),
        ('{"type":"assistant","message":{"usage":{}}} trailing', "not a complete JSON object"),
        ("[1, 2, 3]", "not a complete JSON object"),
    ],
)
def test_malformed_line_is_skipped_counted_and_reported(capsys, vault, logs, bad, reason):
    path = write_log(
        logs,
        "p/s.jsonl",
        [assistant("msg_a", "req_a", output=5), bad, assistant("msg_b", "req_b", output=6)],
    )
    code, _, err = sync(capsys, vault, logs)
    assert code == 0
    assert "skipped 1 malformed log line(s)" in err
    assert f"{path}:2: " in err
    assert reason in err
    assert report(capsys, vault, "daily")["totals"]["output_tokens"] == 11


def test_invalid_utf8_line_is_reported(capsys, vault, logs):
    path = write_log(logs, "p/s.jsonl", [assistant("msg_a", "req_a", output=5)])
    with path.open("ab") as f:
        f.write(b'{"type":"assistant","message":{"usage":{}},"x":"\xff\xfe"}\n')
    code, _, err = sync(capsys, vault, logs)
    assert code == 0
    assert f"{path}:2: not valid UTF-8" in err


def test_incomplete_last_line_is_reported_as_still_being_written(capsys, vault, logs):
    path = write_log(logs, "p/s.jsonl", [assistant("msg_a", "req_a", output=5)])
    with path.open("a") as f:
        f.write('{"type":"assistant","message":{"id":"msg_b","usage":{"input_to')
    code, _, err = sync(capsys, vault, logs)
    assert code == 0
    assert f"{path}:2: incomplete last line" in err


def test_cache_write_split_is_kept_and_old_lines_count_as_5m(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("msg_a", "req_a", cache_write=1000, cache_write_1h=400),
            assistant("msg_b", "req_b", cache_write=300, split=False),
        ],
    )
    t = totals(capsys, vault, logs)
    assert t["cache_creation_input_tokens"] == 1300
    assert t["cache_creation_1h_input_tokens"] == 400
    assert t["cache_creation_5m_input_tokens"] == 900


def test_midnight_split_response_counts_on_its_first_day(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("msg_a", "req_a", output=2, ts="2026-11-03T23:59:59.900Z"),
            assistant("msg_a", "req_a", output=80, ts="2026-11-04T00:00:00.300Z"),
        ],
    )
    code, _, err = sync(capsys, vault, logs)
    assert code == 0, err
    rows = report(capsys, vault, "daily")["rows"]
    assert [(r["date"], r["output_tokens"]) for r in rows] == [("2026-11-03", 80)]


def test_mid_stream_model_fallback_takes_the_whole_largest_line(capsys, vault, logs):
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant(
                "msg_a", "req_a", output=3, model="claude-opus-4-5-20251101", cache_read=9000
            ),
            assistant(
                "msg_a", "req_a", output=70, model="claude-sonnet-4-5-20250929", cache_read=100
            ),
        ],
    )
    assert sync(capsys, vault, logs)[0] == 0
    models = report(capsys, vault, "daily")["rows"][0]["models"]
    assert list(models) == ["claude-sonnet-4-5-20250929"]
    assert models["claude-sonnet-4-5-20250929"]["cache_read_input_tokens"] == 100


def test_subagent_progress_copy_and_subagent_file_count_once(capsys, vault, logs):
    sub = assistant(
        "msg_sub", "req_sub", session="parent", sidechain=True, agent_id="a1b2c3", output=33
    )
    progress = {
        "type": "progress",
        "sessionId": "parent",
        "timestamp": "2026-11-03T10:00:02Z",
        "data": {"type": "agent_progress", "agentId": "a1b2c3", "message": sub},
    }
    write_log(
        logs, "p/parent.jsonl", [assistant("msg_main", "req_main", session="parent"), progress]
    )
    write_log(logs, "p/parent/subagents/agent-a1b2c3.jsonl", [sub])
    meta = logs / "projects/p/parent/subagents/agent-a1b2c3.meta.json"
    meta.write_text('{"agentType": "Explore", "description": "look around"}')
    code, _, err = sync(capsys, vault, logs)
    assert code == 0, err
    t = report(capsys, vault, "daily")["totals"]
    assert (t["responses"], t["output_tokens"]) == (2, 133)
    assert "| Explore |" in (vault / "ledgers/auth-login.md").read_text()


def test_progress_copy_alone_still_counts(capsys, vault, logs):
    sub = assistant("msg_sub", "req_sub", session="parent", sidechain=True, output=33)
    progress = {
        "type": "progress",
        "data": {"type": "agent_progress", "agentId": "zz", "message": sub},
    }
    write_log(logs, "p/parent.jsonl", [progress])
    assert totals(capsys, vault, logs)["output_tokens"] == 33


def test_btw_sidechain_replay_with_new_request_id_is_dropped(capsys, vault, logs):
    main_line = assistant("msg_a", "req_1", session="s", output=50, cache_read=20000)
    replay = assistant("msg_a", "req_2", session="s", output=50, cache_read=20000, sidechain=True)
    write_log(logs, "p/s.jsonl", [main_line])
    write_log(logs, "p/s/subagents/agent-btw1.jsonl", [replay])
    t = totals(capsys, vault, logs)
    assert (t["responses"], t["cache_read_input_tokens"]) == (1, 20000)


def test_sidechain_response_with_its_own_id_counts(capsys, vault, logs):
    write_log(
        logs, "p/agent-3ea04571.jsonl", [assistant("msg_w", "req_w", sidechain=True, output=146)]
    )
    write_log(logs, "p/s.jsonl", [assistant("msg_a", "req_a", output=4)])
    assert totals(capsys, vault, logs)["output_tokens"] == 150


def test_discovery_reads_every_config_dir_recursively_and_only_jsonl(
    capsys, vault, tmp_path, monkeypatch
):
    one, two = tmp_path / "one", tmp_path / "two"
    write_log(one, "a/x.jsonl", [assistant("msg_1", "r1", output=1)])
    write_log(two, "b/deep/er/y.jsonl", [assistant("msg_2", "r2", output=2)])
    (two / "projects/b/sessions-index.json").write_text(
        json.dumps(assistant("msg_3", "r3", output=4))
    )
    (two / "projects/b/empty.jsonl").write_text("")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{one}, {two}")
    code, _, err = run(capsys, "sync", "--vault", vault)
    assert code == 0, err
    assert report(capsys, vault, "daily")["totals"]["output_tokens"] == 3


def test_default_dirs_are_dot_config_claude_and_dot_claude(capsys, vault, tmp_path):
    home = tmp_path / "home"  # conftest points HOME here
    write_log(home / ".claude", "a/x.jsonl", [assistant("msg_1", "r1", output=1)])
    write_log(home / ".config/claude", "a/x.jsonl", [assistant("msg_2", "r2", output=2)])
    code, _, err = run(capsys, "sync", "--vault", vault)
    assert code == 0, err
    assert report(capsys, vault, "daily")["totals"]["output_tokens"] == 3


def test_fast_reader_agrees_with_the_checked_reader_on_every_line(tmp_path):
    """`fast_record` answers exactly what `line_candidate` answers, or leaves the line to it."""
    from tests.synth import generate
    from tokenbook.sources.claude_code import BadLine
    from tokenbook.sources.claude_code import fast_record
    from tokenbook.sources.claude_code import line_candidate
    from tokenbook.sources.claude_code import record

    generate(tmp_path, seed=3, target_bytes=1_000_000)
    odd = [
        assistant("m", None, cache_read=None),  # null counts as 0 (checked path)
        assistant("m", "r", split=False),
        assistant("m", "r", input=True),
        assistant("m", "r", output=-1),
        assistant("m", "r", model=""),
        assistant("m", "r", ts="2026-11-03T10:00:00+02:00"),
        assistant("m", "r", ts="2026-11-03T10:00:00"),
        assistant("m", "r", server_tool_use={"web_search_requests": 2}),
        assistant("m", "r", server_tool_use=[1]),
        assistant("m", "r", inference_geo="GLOBAL", speed="fast"),
        assistant("m", "r", cache_creation=None),
        {"type": "assistant", "message": "text"},
        {"type": "assistant", "message": {"usage": {}, "model": "x", "id": 5}},
    ]
    lines = [json.loads(ln) for p in tmp_path.rglob("*.jsonl") for ln in _json_lines(p)] + odd
    answered = 0
    for obj in lines:
        fast = fast_record(obj)
        try:
            c = line_candidate(obj)
        except BadLine:
            assert fast is None
            continue
        if fast is not None:
            answered += 1
            assert c is not None
            assert fast == (c.key, record(c))
    assert answered > 100


def _json_lines(path: Path) -> list[bytes]:
    out = []
    for raw in path.read_bytes().split(b"\n"):
        try:
            json.loads(raw)
        except ValueError:
            continue
        out.append(raw)
    return out
