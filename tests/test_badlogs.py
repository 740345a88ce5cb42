"""Bad logs never crash sync: each bad line is skipped, counted and reported as `file:line: reason`,
and the valid lines around it still count.

A corpus of nasty lines written by hand, files that shrink or are replaced between syncs, and
hypothesis properties over random truncations, byte edits and JSON values in the usage fields.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import assistant
from tests.helpers import fresh_vault
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log

REPORTED = re.compile(r"^\s+(\S+\.jsonl):(\d+): (.+)$", re.MULTILINE)
MAX_TOKENS = 100_000_000  # README: a count above this is not a real API response


def _line(msg_id: str, **kw: Any) -> bytes:
    return json.dumps(assistant(msg_id, f"req-{msg_id}", **kw)).encode()


def _edit(msg_id: str, change: Any, **kw: Any) -> bytes:
    obj = assistant(msg_id, f"req-{msg_id}", **kw)
    change(obj)
    return json.dumps(obj).encode()


def _usage(name: str, value: Any) -> Any:
    return lambda obj: obj["message"]["usage"].__setitem__(name, value)


def _reported(err: str) -> dict[int, str]:
    """Line number → reason, for the lines sync said it skipped."""
    return {int(m[2]): m[3] for m in REPORTED.finditer(err)}


def _sessions(capsys: Any, vault: Path) -> dict[str, tuple[int, int]]:
    rows = report(capsys, vault, "session")["rows"]
    return {r["session"]: (r["responses"], r["output_tokens"]) for r in rows}


def _sync_ok(capsys: Any, vault: Path, logs: Path, *extra: str) -> str:
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs, *extra)
    assert code == 0, out + err
    assert "Traceback" not in err
    return err


# name, line, None when the line counts, else a fragment of the reason sync must give.
NASTY: list[tuple[str, bytes, str | None]] = [
    ("truncated", _line("m-trunc")[:70], "truncated"),
    ("invalid UTF-8", _line("m-utf8").replace(b"Sure", b"S\xff\xfere"), "UTF-8"),
    ("tokens as a string", _edit("m-str", _usage("input_tokens", "100")), "input_tokens"),
    ("tokens as a float", _edit("m-float", _usage("output_tokens", 1.5)), "output_tokens"),
    ("tokens as a boolean", _edit("m-bool", _usage("output_tokens", True)), "output_tokens"),
    ("tokens as a list", _edit("m-list", _usage("cache_read_input_tokens", [1])), "cache_read"),
    ("tokens null", _edit("m-null", _usage("output_tokens", None)), "output_tokens"),
    ("tokens NaN", _line("m-nan").replace(b'"input_tokens": 10', b'"input_tokens": NaN'), "input"),
    ("negative tokens", _edit("m-neg", _usage("cache_read_input_tokens", -1)), "cache_read"),
    ("absurd tokens", _edit("m-absurd", _usage("input_tokens", 10**12)), "input_tokens"),
    ("no message.id", _edit("m-noid", lambda o: o["message"].pop("id")), "message.id"),
    ("timestamp missing", _edit("m-nots", lambda o: o.pop("timestamp")), "timestamp"),
    ("timestamp a number", _edit("m-tsnum", lambda o: o.__setitem__("timestamp", 17e8)), "time"),
    ("timestamp garbage", _line("m-tsbad", ts="2026-13-45T99:00:00Z"), "timestamp"),
    ("a JSON array", b"[1, 2, 3]", ""),
    ("JSON null", b"null", ""),
    ("not JSON at all", b"hello \x00 world", ""),
    # Lines that carry nothing to count are ignored silently, as are blank ones.
    ("unknown line type", _edit("m-tele", lambda o: o.__setitem__("type", "telemetry")), None),
    ("a summary line", json.dumps({"type": "summary", "summary": "x"}).encode(), None),
    ("blank", b"   ", None),
    ("CRLF", _line("m-crlf", session="crlf") + b"\r", None),
    ("no requestId", json.dumps(assistant("m-noreq", None, session="noreq")).encode(), None),
    ("NUL in text", _line("m-nul", session="nul").replace(b"Sure", b"S\\u0000ure"), None),
    ("line separator in session", _line("m-ls", session="s\u2028x\x85y\x0cz"), None),
    ("newline and pipe in cwd", _line("m-cwd", session="cwd", cwd="/a\nb|c"), None),
]


def test_nasty_lines_are_reported_and_the_lines_around_them_count(capsys, vault, logs):
    lines = [_line("m-first", session="around", output=1)]
    lines += [line for _, line, _ in NASTY]
    lines += [_line("m-last", session="around", output=2)]
    path = logs / "projects" / "p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\n".join(lines) + b"\n")

    err = _sync_ok(capsys, vault, logs)
    reported = _reported(err)
    assert f"skipped {sum(1 for *_, why in NASTY if why is not None)} malformed" in err
    for number, (name, _, why) in enumerate(NASTY, start=2):
        if why is None:
            assert number not in reported, f"{name}: {reported.get(number)}"
        else:
            assert number in reported, f"{name} (line {number}) was not reported"
            assert why in reported[number], f"{name}: {reported[number]}"
    assert all(str(path) in m[1] for m in REPORTED.finditer(err))
    assert _sessions(capsys, vault) == {
        "around": (2, 3),
        "crlf": (1, 100),
        "noreq": (1, 100),
        "nul": (1, 100),
        "s\u2028x\x85y\x0cz": (1, 100),
        "cwd": (1, 100),
    }
    # What was written reads back: check passes, and a second sync changes no byte.
    assert run(capsys, "check", "--vault", vault)[0] == 0
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}
    _sync_ok(capsys, vault, logs)
    assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before


def test_huge_lines_over_10_mb(capsys, vault, logs):
    big = "x" * (11 * 1024 * 1024)
    write_log(
        logs,
        "p/big.jsonl",
        [
            assistant("m-1", "r-1", output=1),
            assistant("m-2", "r-2", output=20, text=big),  # valid: counts
            json.dumps(assistant("m-3", "r-3", text=big))[: 10 * 1024 * 1024 + 5],  # truncated
            '{"type":"user","message":{"content":"' + big + '"}}',  # no usage: ignored
            assistant("m-4", "r-4", output=300),
        ],
    )
    err = _sync_ok(capsys, vault, logs)
    assert set(_reported(err)) == {3}
    assert _sessions(capsys, vault) == {"sess-1": (3, 321)}


def test_a_log_that_shrinks_or_is_replaced_never_loses_counted_usage(capsys, vault, logs):
    """Claude Code only appends, but a file can be truncated, rewritten or replaced between
    syncs (a restore, a copy from another machine). Counted usage is never lost, and new
    usage in the rewritten file still counts."""
    lines = [assistant(f"m-{i}", f"r-{i}", output=10 * i) for i in range(1, 9)]
    path = write_log(logs, "p/sess-1.jsonl", lines)
    _sync_ok(capsys, vault, logs)
    assert _sessions(capsys, vault) == {"sess-1": (8, 360)}
    ledgers = {p: p.read_bytes() for p in (vault / "ledgers").iterdir()}

    # Shrinks to half: nothing is lost, no byte changes.
    write_log(logs, "p/sess-1.jsonl", lines[:4])
    _sync_ok(capsys, vault, logs)
    assert {p: p.read_bytes() for p in (vault / "ledgers").iterdir()} == ledgers

    # Cut to half, then appended past its old size: the new lines count, the old stay counted.
    more = [assistant(f"m-{i}", f"r-{i}", output=10 * i, text="y" * 900) for i in range(10, 14)]
    write_log(logs, "p/sess-1.jsonl", lines[:4] + more)
    assert path.stat().st_size > sum(len(json.dumps(x)) + 1 for x in lines)
    _sync_ok(capsys, vault, logs)
    assert _sessions(capsys, vault) == {"sess-1": (12, 360 + 460)}

    # Deleted: history outlives the log.
    path.unlink()
    _sync_ok(capsys, vault, logs)
    assert _sessions(capsys, vault)["sess-1"] == (12, 820)


def test_a_log_rewritten_in_place_with_the_same_size_and_mtime_is_read_again(capsys, vault, logs):
    lines = [assistant(f"m-{i}", f"r-{i}", output=100 + i) for i in range(10, 14)]
    path = write_log(logs, "p/sess-1.jsonl", lines)
    _sync_ok(capsys, vault, logs)
    stat = path.stat()
    other = [assistant(f"m-{i}", f"r-{i}", output=100 + i) for i in range(20, 24)]
    other_bytes = "".join(json.dumps(x) + "\n" for x in other).encode()
    assert len(other_bytes) == stat.st_size
    with open(path, "r+b") as f:  # in place, as `cp -p` does: same inode
        f.write(other_bytes)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _sync_ok(capsys, vault, logs)
    assert _sessions(capsys, vault) == {"sess-1": (8, 4 * 100 + 46 + 4 * 100 + 86)}


def test_a_year_before_1000_leaves_a_readable_ledger(capsys, vault, logs):
    """Fixed: the ledger wrote `first` as `1-01-01T00:00:00Z` (strftime does not pad the year),
    which its own reader rejects, so every later sync refused to run until the row was removed."""
    write_log(logs, "p/s.jsonl", [assistant("m-1", "r-1", ts="0999-01-01T00:00:00Z")])
    _sync_ok(capsys, vault, logs)
    assert run(capsys, "check", "--vault", vault)[0] == 0
    _sync_ok(capsys, vault, logs)


# --- lines that used to crash sync: skipped and reported ---


@pytest.mark.parametrize(
    "line",
    [
        _line("m-big").replace(b'"input_tokens": 10', b'"input_tokens": 1' + b"0" * 5000),
        b'{"type":"assistant","message":{"usage":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    ],
    ids=["5000-digit-integer", "deeply-nested"],
)
def test_lines_json_cannot_decode_are_reported(capsys, vault, logs, line):
    path = logs / "projects" / "p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\n".join([_line("m-1"), line, _line("m-2")]) + b"\n")
    err = _sync_ok(capsys, vault, logs)
    assert set(_reported(err)) == {2}
    assert _sessions(capsys, vault) == {"sess-1": (2, 200)}


def test_a_lone_surrogate_in_a_log_string_does_not_crash(capsys, vault, logs):
    path = logs / "projects" / "p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    bad = _line("m-2").replace(b'"sess-1"', b'"\\ud800x"')
    path.write_bytes(b"\n".join([_line("m-1"), bad]) + b"\n")
    _sync_ok(capsys, vault, logs)
    assert "sess-1" in _sessions(capsys, vault)


@pytest.mark.parametrize(
    ("timezone", "ts"),
    [("America/New_York", "0001-01-01T00:00:00Z"), ("Asia/Tokyo", "9999-12-31T23:59:59Z")],
)
def test_timestamps_at_the_ends_of_the_calendar_do_not_crash(capsys, vault, logs, timezone, ts):
    settings_file = vault / "tokenbook.md"
    settings_file.write_text(
        settings_file.read_text().replace("timezone: UTC", f"timezone: {timezone}")
    )
    write_log(logs, "p/s.jsonl", [assistant("m-1", "r-1"), assistant("m-2", "r-2", ts=ts)])
    err = _sync_ok(capsys, vault, logs)
    assert set(_reported(err)) == {2}


@pytest.mark.parametrize("ts", ["1970-01-01T00:00:00Z", "2100-06-01T00:00:00Z"])
def test_implausible_timestamps_are_reported_not_counted(capsys, vault, logs, ts):
    write_log(logs, "p/s.jsonl", [assistant("m-1", "r-1"), assistant("m-2", "r-2", ts=ts)])
    err = _sync_ok(capsys, vault, logs)
    assert set(_reported(err)) == {2}
    assert "As of 2026-11-03" in (vault / "cost-dashboard.md").read_text()


# --- properties ---------------------------------------------------------------------------------


def _fresh(tmp: Path) -> tuple[Path, Path]:
    return fresh_vault(tmp / "vault"), tmp / "claude"


def _sandwich(capsys: Any, middle: bytes) -> tuple[dict[int, str], dict[str, tuple[int, int]]]:
    """Sync a log of valid line, `middle`, valid line; return what was reported and counted."""
    with tempfile.TemporaryDirectory() as tmp:
        vault, logs = _fresh(Path(tmp))
        path = logs / "projects" / "p" / "s.jsonl"
        path.parent.mkdir(parents=True)
        first = _line("m-before", session="before", output=1)
        last = _line("m-after", session="after", output=2)
        path.write_bytes(first + b"\n" + middle + b"\n" + last + b"\n")
        err = _sync_ok(capsys, vault, logs, "--no-render")
        counted = _sessions(capsys, vault)
        assert run(capsys, "check", "--vault", vault)[0] == 0
    assert counted.pop("before") == (1, 1)
    assert counted.pop("after") == (1, 2)
    return _reported(err), counted


# Each example is a whole sync + report + check (~0.3 s): these run with the slow tests.
PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
no_newline = st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"\n", b" "))


@pytest.mark.slow
@PROPERTY
@given(data=st.data())
def test_any_edit_of_a_valid_line_is_counted_once_or_reported(capsys, data):
    line = _line("m-middle", session="middle", output=7)
    kind = data.draw(st.sampled_from(["truncate", "replace", "insert", "delete"]))
    i = data.draw(st.integers(0, len(line) - 1))
    if kind == "truncate":
        middle = line[:i]
    elif kind == "replace":
        middle = line[:i] + data.draw(no_newline) + line[i + 1 :]
    elif kind == "insert":
        middle = line[:i] + data.draw(no_newline) + line[i:]
    else:
        middle = line[:i] + line[i + data.draw(st.integers(1, 40)) :]
    reported, counted = _sandwich(capsys, middle)
    assert set(reported) <= {2}
    assert all(reason.strip() for reason in reported.values())
    # The edited line counted at most once, and never both counted and reported.
    assert sum(n for n, _ in counted.values()) <= 1
    assert not (reported and counted)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@pytest.mark.slow
@PROPERTY
@given(
    name=st.sampled_from(["input_tokens", "output_tokens", "cache_read_input_tokens"]),
    value=json_values | st.integers(0, MAX_TOKENS + 10),
)
def test_any_json_value_in_a_token_field(capsys, name, value):
    middle = _edit("m-middle", _usage(name, value), session="middle", output=7)
    reported, counted = _sandwich(capsys, middle)
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS
    if valid or (value is None and name == "cache_read_input_tokens"):
        assert reported == {}
        output = value if name == "output_tokens" else 7
        assert counted == {"middle": (1, output)}
    else:
        assert set(reported) == {2}
        assert name in reported[2]
        assert counted == {}


@pytest.mark.slow
@PROPERTY
@given(
    path=st.sampled_from(
        [
            ("sessionId",),
            ("cwd",),
            ("gitBranch",),
            ("requestId",),
            ("timestamp",),
            ("isSidechain",),
            ("agentId",),
            ("message", "id"),
            ("message", "model"),
            ("message", "usage", "cache_creation"),
            ("message", "usage", "server_tool_use"),
            ("message", "usage", "speed"),
            ("message", "usage", "inference_geo"),
        ]
    ),
    value=json_values,
)
def test_any_json_value_in_other_fields_never_crashes(capsys, path, value):
    obj = assistant("m-middle", "req-middle", session="middle", output=7)
    target = obj
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    reported, counted = _sandwich(capsys, json.dumps(obj).encode())
    assert set(reported) <= {2}
    assert sum(n for n, _ in counted.values()) + len(reported) <= 1
