"""Calibration from hand-made logs whose right ratios are known by construction."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import user
from tests.helpers import write_log
from tokenbook.preflight.calibrate import MIN_PAIRS
from tokenbook.preflight.calibrate import calibrate
from tokenbook.preflight.count import DEFAULT_RATIOS
from tokenbook.preflight.count import load_calibration
from tokenbook.preflight.pairs import collect
from tokenbook.preflight.pairs import collect_pairs

CODE_UNIT = "def f(x):\n    return x\n"
PROSE_UNIT = "the quick brown fox jumps over it. "
TRUE = {"code": 4.0, "prose": 5.0, "json": 2.0}  # chars per token the logs are built with


def code_text(n: int) -> str:
    return (CODE_UNIT * (n // len(CODE_UNIT) + 1))[:n]


def prose_text(n: int) -> str:
    return (PROSE_UNIT * (n // len(PROSE_UNIT) + 1))[:n]


def json_text(n: int) -> str:
    return '{"a": "' + "x" * (n - 9) + '"}'


def tool_result(blocks: list[str], *, session: str, ts: str) -> dict[str, Any]:
    line = user("", session=session, ts=ts)
    line["message"]["content"] = [
        {"type": "tool_result", "tool_use_id": f"t{i}", "content": text}
        for i, text in enumerate(blocks)
    ]
    return line


def conversation(
    session: str, sizes: list[tuple[int, int, int]], *, day: int = 3, overhead: int = 0
) -> list[dict[str, Any]]:
    """A session whose prompt grows by exactly output + code/4 + prose/5 + json/2 (+ overhead)
    tokens per tool result; sizes are (code, prose, json) characters, multiples of 20."""
    lines: list[dict[str, Any]] = [
        user("start", session=session, ts=f"2026-11-{day:02d}T09:00:00Z")
    ]
    prompt, output = 3000, 50
    for i, (code, prose, js) in enumerate(sizes):
        ts = f"2026-11-{day:02d}T10:{i // 60:02d}:{i % 60:02d}Z"
        lines.append(
            assistant(
                f"{session}-m{i}", f"{session}-r{i}", ts=ts, session=session,
                input=prompt, output=output, cache_write=0, cache_read=0,
            )
        )  # fmt: skip
        blocks = [t for t in (code_text(code), prose_text(prose), json_text(js) if js else "") if t]
        lines.append(tool_result(blocks, session=session, ts=ts))
        added = code // 4 + prose // 5 + js // 2 + overhead
        prompt, output = prompt + output + added, 40 + i
    return lines


def sizes(n: int, seed: int) -> list[tuple[int, int, int]]:
    out = []
    for i in range(n):
        k = (i * 7 + seed) % 13
        out.append((20 * (5 + k * 9), 20 * (3 + (k * 5) % 11), 60 * ((k * 3) % 7)))
    return out


def test_the_fit_finds_the_ratios_the_logs_were_built_with(logs):
    write_log(logs, "p/s1.jsonl", conversation("s1", sizes(30, 1), day=3))
    write_log(logs, "p/s2.jsonl", conversation("s2", sizes(30, 4), day=5))
    pairs = collect_pairs([logs])
    assert len(pairs) == 58  # 29 per session: each response after the first
    c = calibrate(pairs)
    assert c is not None
    ratios = dict(c.ratios)
    for kind, ratio in TRUE.items():
        assert ratios[kind] == pytest.approx(ratio, rel=1e-6)
    assert ratios["other"] == DEFAULT_RATIOS["other"]  # never seen: the default stays
    assert c.error_pct == pytest.approx(0, abs=1e-6)
    assert c.overhead_tokens == 0
    assert c.held_back == 12  # the newest fifth of 58
    assert (str(c.first), str(c.last)) == ("2026-11-03", "2026-11-05")


def test_a_constant_overhead_per_message_is_fitted_apart(logs):
    write_log(logs, "p/s1.jsonl", conversation("s1", sizes(40, 2), overhead=12))
    c = calibrate(collect_pairs([logs]))
    assert c is not None
    assert dict(c.ratios)["code"] == pytest.approx(4.0, rel=1e-6)
    assert c.overhead_tokens == 12


def test_one_pair_by_hand(logs):
    """3,000 chars of code between two requests whose prompts differ by 1,050 tokens, of which
    50 are the first answer: 1,000 tokens, 3 chars per token."""
    lines = [
        assistant("m1", "r1", input=5000, output=50, cache_write=0, cache_read=0),
        tool_result([code_text(3000)], session="sess-1", ts="2026-11-03T10:00:01Z"),
        assistant("m2", "r2", input=10, output=9, cache_write=45, cache_read=5995),
    ]
    write_log(logs, "p/s.jsonl", lines)
    (pair,) = collect_pairs([logs])
    assert pair.tokens == 1000
    assert pair.chars == (3000, 0, 0, 0)


def test_pairs_that_cannot_be_measured_are_left_out(logs):
    image = tool_result([code_text(400)], session="sess-1", ts="2026-11-03T10:00:03Z")
    image["message"]["content"].append({"type": "image", "source": {"type": "base64"}})
    thinking = assistant("m5", "r5", ts="2026-11-03T10:00:05Z", input=9000)
    thinking["message"]["content"] = [{"type": "thinking", "thinking": "hmm"}]
    lines = [
        assistant("m1", "r1", ts="2026-11-03T10:00:00Z", input=5000, cache_write=0, cache_read=0),
        user("plain", ts="2026-11-03T10:00:01Z"),
        # the same response on a second line (another content block): still one response
        assistant("m1", "r1", ts="2026-11-03T10:00:00Z", input=5000, cache_write=0, cache_read=0),
        assistant("m2", "r2", ts="2026-11-03T10:00:02Z", input=6000, cache_write=0, cache_read=0),
        image,  # an image: its tokens are not characters
        assistant("m3", "r3", ts="2026-11-03T10:00:04Z", input=7000, cache_write=0, cache_read=0),
        {"type": "system", "subtype": "compact_boundary", "sessionId": "sess-1"},
        user("after compaction", ts="2026-11-03T10:00:04Z"),
        thinking,  # first response after compaction: no pair
        user("more", ts="2026-11-03T10:00:06Z"),
        assistant("m6", "r6", ts="2026-11-03T10:00:07Z", input=9500),  # after thinking: no pair
        assistant("<synthetic>", "r7", ts="2026-11-03T10:00:08Z", model="<synthetic>"),
    ]
    write_log(logs, "p/s.jsonl", lines)
    history = collect([logs])
    assert [p.key for p in history.pairs] == ["m1>m2"]
    assert history.pairs[0].tokens == 6000 - 5000 - 100
    assert history.starts == [5000]  # the transcript's first request; not the one after compacting


def test_a_resumed_copy_counts_each_pair_once(logs):
    lines = conversation("s1", sizes(12, 3))
    write_log(logs, "p/s1.jsonl", lines)
    write_log(logs, "p/s1-resumed.jsonl", lines)
    history = collect([logs])
    assert len(history.pairs) == 11
    assert history.starts == [3000 - 2]  # "start" is 5 characters of prose: 2 tokens


def test_too_little_history_keeps_the_defaults(capsys, vault, logs):
    write_log(logs, "p/s1.jsonl", conversation("s1", sizes(MIN_PAIRS, 1)))  # one pair short
    code, _out, err = run(capsys, "preflight", "--calibrate", "--logs", logs, "--vault", vault)
    assert code == 0
    assert "not enough history to calibrate: 9 request pairs (need 10)" in err
    assert not (vault / "calibration.md").exists()


def test_calibrate_writes_metadata_only_and_preflight_uses_it(capsys, vault, logs, tmp_path):
    lines = conversation("s1", sizes(30, 1))
    lines[0]["message"]["content"] = "SENTINEL-PRIVATE-TEXT"
    write_log(logs, "p/s1.jsonl", lines)
    code, _, err = run(capsys, "preflight", "--calibrate", "--logs", logs, "--vault", vault)
    assert code == 0, err
    text = (vault / "calibration.md").read_text()
    assert "SENTINEL" not in text
    assert "chars_per_token: {code: 4.000, prose: 5.000, json: 2.000, other: 2.800}" in text
    assert "first: 2026-11-03" in text
    assert "written: calibrated on 29 request pairs" in err
    again = run(capsys, "preflight", "--calibrate", "--logs", logs, "--vault", vault)
    assert "unchanged" in again[2]
    c = load_calibration(vault)
    assert c.fitted
    assert dict(c.ratios)["code"] == 4.0
    assert c.pairs == 29
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("x" * 4000)  # 1,000 tokens at the calibrated 4 chars per token
    code, out, err = run(capsys, "preflight", src, "--json", "--vault", vault, "--model", "m")
    result = json.loads(out)
    # The first request's prompt (3,000) less its 21-character prose message (6 tokens): what
    # Claude Code's own system prompt and tools cost a new session.
    assert "session_start_tokens: 2994" in text
    assert result["parts"][1] == {
        "label": "new session: system prompt and tools",
        "tokens": 2994,
        "files": 0,
        "measured": True,
        "error_pct": 0.0,
    }
    assert result["total_tokens"] == 1000 + 2994
    assert result["calibration"]["fitted"] is True
    assert result["expected_error_pct"] == 0.0


def test_noise_is_measured_on_held_back_pairs(logs):
    lines = conversation("s1", sizes(50, 1))
    grow = 0
    for i, line in enumerate(lines):  # every 4th request is 20% larger than the content says
        if line["type"] == "assistant":
            if i % 8 == 1 and i > 1:
                grow += 200
            line["message"]["usage"]["input_tokens"] += grow
    write_log(logs, "p/s1.jsonl", lines)
    c = calibrate(collect_pairs([logs]))
    assert c is not None
    assert c.error_pct > 0
    assert c.held_back == 10


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\nchars_per_token: {code: 0}\nmedian_error_pct: 5\n---\n", "`chars_per_token`"),
        ("---\nchars_per_token: {code: 3}\nmedian_error_pct: -1\n---\n", "`median_error_pct`"),
        ("---\nchars_per_token: {cobol: 3}\nmedian_error_pct: 1\n---\n", "`chars_per_token`"),
        ("no frontmatter\n", "no YAML frontmatter"),
    ],
)
def test_a_broken_calibration_file_is_a_located_error(capsys, vault, tmp_path, text, problem):
    (vault / "calibration.md").write_text(text)
    (tmp_path / "a.py").write_text("x")
    code, out, err = run(capsys, "preflight", tmp_path / "a.py", "--vault", vault)
    assert code == 1
    assert out == ""
    assert err.startswith(f"{vault / 'calibration.md'}:")
    assert problem in err
    assert "Traceback" not in err


def test_a_named_session_replaces_the_session_start(capsys, vault, logs, tmp_path):
    (vault / "calibration.md").write_text(
        "---\nchars_per_token: {code: 3}\nmedian_error_pct: 10\nsession_start_tokens: 20000\n---\n"
    )
    write_log(logs, "p/sess-1.jsonl", [assistant("m1", "r1", input=10, cache_read=40_000)])
    (tmp_path / "a.py").write_text("x" * 300)
    base = ["preflight", tmp_path / "a.py", "--json", "--vault", vault, "--model", "m"]
    code, out, err = run(capsys, *base)
    assert code == 0, err
    new = json.loads(out)
    assert [p["tokens"] for p in new["parts"]] == [100, 20_000]
    assert new["expected_error_pct"] == round(10 * 100 / 20_100, 1)
    code, out, err = run(capsys, *base, "--session", "sess-1", "--logs", logs)
    assert code == 0, err
    going = json.loads(out)
    assert [p["label"] for p in going["parts"]] == [str(tmp_path / "a.py"), "conversation sess-1"]
    assert going["total_tokens"] == 100 + 41_010 + 100
