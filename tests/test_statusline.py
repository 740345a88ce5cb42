"""`tokenbook statusline`: stdin JSON as Claude Code sends it, one line out, never a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log
from tokenbook.attribution import Attributor
from tokenbook.sessions_edit import edit_sessions
from tokenbook.statusline import SUMMARY
from tokenbook.statusline import attribute
from tokenbook.statusline import read_summary
from tokenbook.statusline import status_line
from tokenbook.vault import load_vault

SCRIPT = Path(sys.executable).parent / "tokenbook"
NOV_10 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
YELLOW, RESET = "\x1b[33m", "\x1b[0m"
RATE_LIMITS = {
    "five_hour": {"used_percentage": 23.4, "resets_at": 1763820000},
    "seven_day": {"used_percentage": 41, "resets_at": 1764200000},
}


def payload(session: str, cwd: str = "/home/dev/src/webapp", **extra: Any) -> str:
    """The documented fields of the status line's stdin (Claude Code 2.x)."""
    data = {
        "hook_event_name": "Status",
        "session_id": session,
        "transcript_path": f"/home/dev/.claude/projects/p/{session}.jsonl",
        "cwd": cwd,
        "model": {"id": "claude-opus-4-5-20251101", "display_name": "Opus 4.5"},
        "workspace": {"current_dir": cwd, "project_dir": cwd},
        "version": "2.1.0",
        "cost": {"total_cost_usd": 0.01},
    }
    return json.dumps(data | extra)


@pytest.fixture
def synced(capsys, vault, logs) -> Path:
    """auth-login (appetite 40% of $30 = $12) used $10.00005: 400,010 tokens of Opus 4.5."""
    write_log(
        logs,
        "p/auth.jsonl",
        [assistant("m1", session="s-auth", output=400_000, cache_write=0, cache_read=0)],
    )
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    return vault


def script(stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = env | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}  # this checkout
    return subprocess.run(
        [str(SCRIPT), "statusline"], input=stdin, env=env, capture_output=True, text=True
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="tokenbook script missing")
def test_the_command_reads_stdin_and_prints_the_bet_in_colour(synced):
    env = dict(os.environ) | {"TOKENBOOK_VAULT": str(synced)}
    env.pop("NO_COLOR", None)
    done = script(payload("s-auth", rate_limits=RATE_LIMITS), env)
    assert (done.returncode, done.stderr) == (0, "")
    # $10.00005 of $12 is 83.3%: yellow (75% and more).
    assert done.stdout == (
        f"tokenbook: auth-login {YELLOW}83%{RESET} of appetite ($10.00/$12.00)"
        " · plan 5h 23% 7d 41%\n"
    )
    done = script(payload("s-auth"), env | {"NO_COLOR": "1"})
    assert done.stdout == "tokenbook: auth-login 83% of appetite ($10.00/$12.00)\n"


@pytest.mark.skipif(not SCRIPT.exists(), reason="tokenbook script missing")
def test_the_vault_recorded_by_hook_install_is_found(capsys, synced):
    assert run(capsys, "hook", "install", "--statusline", "--vault", synced)[0] == 0
    env = {k: v for k, v in os.environ.items() if k != "TOKENBOOK_VAULT"} | {"NO_COLOR": "1"}
    done = script(payload("s-auth"), env)
    assert done.stdout.startswith("tokenbook: auth-login 83% of appetite")


def test_a_new_session_is_attributed_by_the_rules_and_its_git_branch(synced, tmp_path):
    repo = tmp_path / "src" / "webapp"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/feature/auth-magic\n")
    (repo / "lib").mkdir()
    env = {"NO_COLOR": "1"}
    line = status_line(payload("s-new", cwd=str(repo / "lib")), synced, NOV_10, env)
    assert line == "tokenbook: auth-login 83% of appetite ($10.00/$12.00)"
    # dark-mode needs project */webapp on branch feature/dark-mode; its appetite is unused.
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/feature/dark-mode\n")
    line = status_line(payload("s-new", cwd=str(repo)), synced, NOV_10, env)
    assert line == "tokenbook: dark-mode 0% of appetite ($0.00/$9.00)"
    # Outside the cycle no bet claims it; a detached HEAD has no branch.
    december = datetime(2026, 12, 5, tzinfo=UTC)
    line = status_line(payload("s-new", cwd=str(repo)), synced, december, env)
    assert line == "tokenbook: unassigned (no bet claims this session)"
    (repo / ".git" / "HEAD").write_text("0123456789abcdef0123456789abcdef01234567\n")
    line = status_line(payload("s-new", cwd=str(repo)), synced, NOV_10, env)
    assert line == "tokenbook: unassigned (no bet claims this session)"


def test_assign_moves_the_status_line_too(capsys, synced):
    env = {"NO_COLOR": "1"}
    assert run(capsys, "assign", "s-auth", "cafe-ui", "--vault", synced)[0] == 0
    line = status_line(payload("s-auth"), synced, NOV_10, env)
    # cafe-ui's appetite is 6,000,000 tokens; 400,010 of them is 6.7%.
    assert line == "tokenbook: cafe-ui 7% of appetite (400.0k/6.0M tokens)"


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ("", "tokenbook: unassigned (no bet claims this session)"),
        ("not json", "tokenbook: status unavailable (JSONDecodeError)"),
        ("[1, 2]", "tokenbook: unassigned (no bet claims this session)"),
        ('{"session_id": 7, "workspace": "x", "rate_limits": {"five_hour": 3}}', None),
    ],
)
def test_odd_stdin_never_crashes(synced, stdin, expected):
    line = status_line(stdin, synced, NOV_10, {"NO_COLOR": "1"})
    assert line == (expected or "tokenbook: unassigned (no bet claims this session)")


def test_missing_or_broken_summary_gives_a_fallback_line(synced, tmp_path):
    env = {"NO_COLOR": "1"}
    assert status_line(payload("s"), None, NOV_10, env) == (
        "tokenbook: status unavailable (no vault: set TOKENBOOK_VAULT or run tokenbook hook "
        "install)"
    )
    nowhere = tmp_path / "nowhere"
    assert status_line(payload("s"), nowhere, NOV_10, env) == (
        f"tokenbook: status unavailable (no summary yet: run tokenbook sync --vault {nowhere})"
    )
    (synced / SUMMARY).write_text('{"format": 1, "bets": [', encoding="utf-8")
    line = status_line(payload("s"), synced, NOV_10, env)
    assert line == "tokenbook: status unavailable (JSONDecodeError)"
    (synced / SUMMARY).write_text('{"format": 99}', encoding="utf-8")
    assert status_line(payload("s"), synced, NOV_10, env) == (
        "tokenbook: status unavailable (ValueError)"
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="tokenbook script missing")
def test_the_command_exits_0_with_a_fallback_on_any_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TOKENBOOK_VAULT"}
    done = script("{}", env | {"HOME": str(tmp_path / "empty-home")})
    assert done.returncode == 0
    assert done.stdout.startswith("tokenbook: status unavailable (no vault")
    assert done.stderr == ""


def test_the_summary_is_small_git_ignored_and_rewritten_only_when_it_changes(capsys, synced, logs):
    path = synced / SUMMARY
    data = json.loads(path.read_text())
    auth = next(b for b in data["bets"] if b["id"] == "auth-login")
    assert auth | {"rules": None} == {
        "id": "auth-login",
        "title": "Passwordless login",
        "cycle": "2026-11",
        "status": "active",
        "rules": None,
        "sessions": [],
        "percent": "83.3",
        "used_usd": "10.00",
        "appetite_usd": "12.00",
        "used_tokens": 400_010,
        "appetite_tokens": 16_000_000,
        "unpriced": False,
        "unpriced_tokens": 0,
        "guard": None,
        "session_budget": None,
    }
    assert data["sessions"] == {"s-auth": "auth-login"}
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    assert run(capsys, "sync", "--vault", synced, "--logs", logs)[0] == 0
    assert run(capsys, "render", "--vault", synced)[0] == 0
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)
    assert ".tokenbook-cache/" in (Path(__file__).parent.parent / ".gitignore").read_text()


def test_init_ignores_the_cache_in_a_new_vault(capsys, tmp_path):
    root = tmp_path / "v"
    assert run(capsys, "init", root)[0] == 0
    assert (root / SUMMARY).is_file()
    assert ".tokenbook-cache/" in (root / ".gitignore").read_text().splitlines()


def test_the_summary_attribution_equals_the_attributor(capsys, vault):
    """The status line attributes from the summary's plain data (importing the model costs more
    than its whole answer); on every mix of rules, cycles, statuses and explicit sessions it must
    give what `tokenbook.attribution.Attributor` gives."""
    bet = vault / "bets" / "billing-fix.md"
    bet.write_text(bet.read_text().replace("status: active", "status: done"))
    wide = vault / "bets" / "data-pipeline.md"
    wide.write_text(
        wide.read_text().replace(
            '  - project: "*/data_pipeline"',
            '  - project: "*/data_pipeline"\n  - branch: "feature/*"\n    project: "*/webapp"',
        )
    )
    cafe = vault / "bets" / "cafe-ui.md"
    listed = edit_sessions(cafe, "s-explicit", add=True)
    assert listed is not None
    cafe.write_text(listed)
    assert run(capsys, "render", "--vault", vault)[0] == 0
    summary = read_summary(vault)
    loaded = load_vault(vault)
    projects = ["/home/dev/src/webapp", "/home/dev/src/café-ui", "/srv/data_pipeline", "", "/x"]
    branches = ["feature/auth-login", "feature/dark-mode", "fix/billing-1", "main", ""]
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 17), date(2026, 11, 29)]
    days.append(date(2026, 11, 30))
    checked = 0
    for session in ("s-explicit", "s-new"):
        for day in days:
            for project in projects:
                for branch in branches:
                    want = Attributor(loaded).bet_for(session, day, project, branch)
                    got = attribute(summary, session, day.isoformat(), project, branch)
                    assert got == want, (session, day, project, branch)
                    checked += 1
    assert checked == 250
    outcomes = {attribute(summary, "s-new", "2026-11-10", p, b) for p in projects for b in branches}
    assert outcomes == {"auth-login", "cafe-ui", "data-pipeline", "unassigned"}  # + ambiguous
