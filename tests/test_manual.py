"""`tokenbook log` (usage no log records) and `tokenbook assign` (a session moved to a bet)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook.manual import Entry
from tokenbook.sessions_edit import edit_sessions

LOG = ("--bet", "auth-login", "--tokens", "120000", "--output", "3000")
NOTE = ("--model", "claude-sonnet-4-5", "--note", "nightly summariser", "--date", "2026-11-10")


def rows(vault: Path, ledger: str) -> list[str]:
    text = (vault / "ledgers" / f"{ledger}.md").read_text()
    return [ln for ln in text.split("\n") if ln.startswith("| 20")]


def test_log_appends_one_priced_row_once(capsys, vault):
    code, out, err = run(capsys, "log", "--vault", vault, *LOG, *NOTE)
    assert (code, err) == (0, "")
    session = Entry(
        bet="auth-login",
        day=date(2026, 11, 10),
        input=120000,
        output=3000,
        model="claude-sonnet-4-5",
        note="nightly summariser",
    ).session
    assert out == f"logged 123,000 tokens to auth-login as {session}\n"
    assert session.startswith("manual-")
    assert rows(vault, "auth-login") == [
        f"| 2026-11-10 | {session[:8]}… | claude-sonnet-4-5 | manual | 1 | 120,000 | 3,000 | 0 | 0 "
        "| nightly summariser |"
    ]
    # Sonnet 4.5: $3 per million input, $15 per million output: 0.36 + 0.045.
    totals = report(capsys, vault, "daily", "--bet", "auth-login")["totals"]
    assert (totals["total_tokens"], totals["cost_usd"]) == (123000, "0.405")
    assert "[[auth-login]]" in (vault / "progress" / "auth-login.md").read_text()

    before = snapshot(vault)
    code, out, _ = run(capsys, "log", "--vault", vault, *LOG, *NOTE)
    assert code == 0
    assert out.startswith(f"already logged as {session}; nothing changed")
    assert snapshot(vault) == before
    # Another note is another entry; the scheduled kind is recorded as the agent.
    code, _, _ = run(
        capsys, "log", "--vault", vault, *LOG, *NOTE[:-1], "2026-11-11", "--kind", "scheduled"
    )
    assert code == 0
    assert [r.split(" | ")[3] for r in rows(vault, "auth-login")] == ["manual", "scheduled"]
    assert report(capsys, vault, "daily")["totals"]["total_tokens"] == 246000


def test_log_without_a_model_is_unpriced_not_free(capsys, vault):
    code, _, _ = run(capsys, "log", "--vault", vault, "--bet", "unassigned", "--tokens", "5000")
    assert code == 0
    totals = report(capsys, vault, "daily")["totals"]
    assert totals["cost_usd"] is None
    assert totals["unpriced"][0].startswith("no price for unknown on ")


def test_log_refuses_bad_input_without_writing(capsys, vault):
    before = snapshot(vault)
    code, out, err = run(capsys, "log", "--vault", vault, "--bet", "nope", "--tokens", "5")
    assert (code, out) == (1, "")
    assert err.startswith("unknown bet `nope`; known: auth-login, billing-fix")
    code, _, err = run(capsys, "log", "--vault", vault, "--bet", "auth-login", "--tokens", "0")
    assert code == 1
    assert "--tokens must be a positive whole number" in err
    assert snapshot(vault) == before


def test_assign_edits_one_line_moves_rows_and_survives_sync(capsys, vault, logs):
    # A session on an unmatched branch lands in `unassigned`.
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-x", branch="spike/x")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert len(rows(vault, "unassigned")) == 1
    bet_file = vault / "bets" / "cafe-ui.md"
    original = bet_file.read_text()

    code, out, err = run(capsys, "assign", "s-x", "cafe-ui", "--vault", vault)
    assert (code, err) == (0, "")
    assert out.split("\n")[1:] == [
        "s-x → cafe-ui: edited bets/cafe-ui.md; moved 1 response(s)",
        "  moved 1 response(s), 6,110 tokens, from unassigned to cafe-ui",
        "",
    ]
    assert out.startswith("session s-x: 2026-11-03, project /home/dev/src/webapp, 1 response(s)")
    lines = original.split("\n")
    closing = lines.index("---", 1)
    assert bet_file.read_text().split("\n") == [
        *lines[:closing],
        "sessions: [s-x]",
        *lines[closing:],
    ]
    assert rows(vault, "unassigned") == []
    assert len(rows(vault, "cafe-ui")) == 1
    # Later syncs (more of the session, then nothing new) keep it there.
    write_log(
        logs,
        "p/s.jsonl",
        [
            assistant("m1", session="s-x", branch="spike/x"),
            assistant("m2", session="s-x", branch="spike/x", ts="2026-11-04T10:00:00.000Z"),
        ],
    )
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert len(rows(vault, "cafe-ui")) == 2
    assert rows(vault, "unassigned") == []
    sessions = {r["session"]: r["bets"] for r in report(capsys, vault, "session")["rows"]}
    assert sessions == {"s-x": ["cafe-ui"]}

    # Reassigning takes it off the first bet's list: that file is byte-identical again.
    code, out, _ = run(capsys, "assign", "s-x", "data-pipeline", "--vault", vault)
    assert code == 0
    assert "s-x → data-pipeline: edited bets/cafe-ui.md, bets/data-pipeline.md;" in out
    assert bet_file.read_text() == original
    assert len(rows(vault, "data-pipeline")) == 2
    assert run(capsys, "check", "--vault", vault)[0] == 0
    before = snapshot(vault)
    code, out, _ = run(capsys, "assign", "s-x", "data-pipeline", "--vault", vault)
    assert "s-x → data-pipeline: edited no bet file (already listed); moved 0 response(s)\n" in out
    assert snapshot(vault) == before


def test_block_and_flow_lists_are_edited_in_place(tmp_path):
    path = tmp_path / "b.md"
    path.write_text(
        "---\ncycle: x\nsessions:\n  - aaa  # first\n  - bbb\ntags: [t]\n---\nbody\n",
        encoding="utf-8",
    )
    added = edit_sessions(path, "7c0e1f9a-0000-4000-8000-000000000000", add=True)
    assert added == (
        "---\ncycle: x\nsessions:\n  - aaa  # first\n  - bbb\n"
        "  - 7c0e1f9a-0000-4000-8000-000000000000\ntags: [t]\n---\nbody\n"
    )
    assert edit_sessions(path, "aaa", add=True) is None
    removed = edit_sessions(path, "aaa", add=False)
    assert removed == "---\ncycle: x\nsessions:\n  - bbb\ntags: [t]\n---\nbody\n"
    path.write_text(removed, encoding="utf-8")
    assert edit_sessions(path, "bbb", add=False) == "---\ncycle: x\ntags: [t]\n---\nbody\n"
    path.write_text("---\nsessions: [a, 'b c']\n---\n", encoding="utf-8")
    assert edit_sessions(path, "123", add=True) == '---\nsessions: [a, "b c", "123"]\n---\n'


def test_assign_to_an_unknown_bet_writes_nothing(capsys, vault):
    before = snapshot(vault)
    code, out, err = run(capsys, "assign", "s-x", "nope", "--vault", vault)
    assert (code, out) == (1, "")
    assert err.startswith("unknown bet `nope`")
    assert snapshot(vault) == before


def test_crlf_files_keep_their_line_endings(tmp_path):
    path = tmp_path / "b.md"
    path.write_bytes(b"---\r\ncycle: x\r\nsessions:\r\n  - aaa\r\n---\r\nbody\r\n")
    added = edit_sessions(path, "bbb", add=True)
    assert added == "---\r\ncycle: x\r\nsessions:\r\n  - aaa\r\n  - bbb\r\n---\r\nbody\r\n"
    path.write_bytes(b"---\r\ncycle: x\r\n---\r\nbody\r\n")
    assert (
        edit_sessions(path, "c", add=True) == "---\r\ncycle: x\r\nsessions: [c]\r\n---\r\nbody\r\n"
    )


def test_assign_resolves_a_printed_prefix_and_refuses_what_it_cannot_name(capsys, vault, logs):
    """Reports print `03eb5929…`; assign takes that form, and refuses an empty, unknown or
    ambiguous id before writing anything."""
    for session in ("03eb5929-aaaa-4000-8000-000000000001", "03eb5929-bbbb-4000-8000-000000000002"):
        write_log(logs, f"p/{session}.jsonl", [assistant(f"m-{session}", "r", session=session)])
    write_log(logs, "p/x.jsonl", [assistant("m-x", "r", session="7f00aa11-cccc-4000-8000-0000")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    before = snapshot(vault)
    for given, message in [
        ("", "the session id is empty"),
        ("03eb5929…", "'03eb5929…' names 2 sessions"),
        ("deadbeef", "no session 'deadbeef' in the ledgers"),
    ]:
        code, _, err = run(capsys, "assign", given, "cafe-ui", "--vault", vault)
        assert (code, message in err) == (1, True), err
        assert snapshot(vault) == before
    code, out, _ = run(capsys, "assign", "7f00aa11…", "cafe-ui", "--dry-run", "--vault", vault)
    assert code == 0
    assert out.startswith("session 7f00aa11-cccc-4000-8000-0000: 2026-11-03, project")
    assert snapshot(vault) == before
    code, out, _ = run(capsys, "assign", "7f00aa11…", "cafe-ui", "--vault", vault)
    assert "moved 1 response(s)" in out
    assert 'sessions: ["7f00aa11-cccc-4000-8000-0000"]' in (vault / "bets/cafe-ui.md").read_text()
