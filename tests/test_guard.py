"""`tokenbook guard`, run exactly as Claude Code runs a hook (through the shell, HOME and a bare
PATH only, the session's JSON on stdin): nothing below the thresholds, a warning past one, a
block only where `guard: block` is set, and nothing blocked when anything of its own fails."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tokenbook.hookcommand import MINIMAL_PATH
from tokenbook.hookcommand import program
from tokenbook.hooks import guard_command

SESSION = "sg-1"
# Opus 4.5 costs $25 per million output tokens: each response of 100k output costs $2.50.
RESPONSE_USD = 2.5


def response(n: int, session: str = SESSION) -> dict[str, Any]:
    ts = f"2026-11-03T10:{n:02d}:00.000Z"
    msg = f"{session}-m{n}"
    return assistant(msg, session=session, ts=ts, output=100_000, cache_write=0, cache_read=0)


class Session:
    """A session's transcript (`projects/<p>/<session>.jsonl`) that grows as a test goes, and
    its working folder: a git checkout of `feature/auth-login` (auth-login's rule)."""

    def __init__(self, logs: Path, session: str = SESSION) -> None:
        self.path = logs / "projects" / "p" / f"{session}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.session, self.n = session, 0
        self.cwd = logs.parent / "webapp"
        (self.cwd / ".git").mkdir(parents=True, exist_ok=True)
        (self.cwd / ".git" / "HEAD").write_text("ref: refs/heads/feature/auth-login\n")

    def add(self, responses: int) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            for _ in range(responses):
                self.n += 1
                f.write(json.dumps(response(self.n, self.session)) + "\n")

    def payload(self, event: str = "UserPromptSubmit", **extra: Any) -> str:
        data = {
            "session_id": self.session,
            "transcript_path": str(self.path),
            "cwd": str(self.cwd),
            "permission_mode": "default",
            "hook_event_name": event,
        }
        if event == "UserPromptSubmit":
            data["prompt"] = "a private prompt"
        return json.dumps(data | extra)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def guarded(capsys, vault: Path, logs: Path) -> tuple[Path, Session]:
    """auth-login ($12 appetite) with a $10 session budget; the session synced at $7.50."""
    bet = vault / "bets" / "auth-login.md"
    edit(bet, "appetite: 40%\n", "appetite: 40%\nsession_budget: {usd: 10}\n")
    s = Session(logs)
    s.add(3)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    return vault, s


def hook(vault: Path, stdin: str, **env: str) -> tuple[int, str, str]:
    """The installed command, as Claude Code runs it."""
    command = guard_command(vault, program())
    done = subprocess.run(
        command,
        shell=True,
        input=stdin,
        capture_output=True,
        text=True,
        env={"HOME": os.environ["HOME"], "PATH": MINIMAL_PATH, **env},
        cwd=vault.parent,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def said(out: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(out)
    return result


def test_below_the_thresholds_it_says_nothing(guarded):
    vault, s = guarded  # $7.50 of $10 (75%) and of the bet's $12 (62%)
    assert hook(vault, s.payload()) == (0, "", "")


def test_past_the_warning_it_warns_with_spend_budget_and_pace(guarded):
    vault, s = guarded
    s.add(1)  # $10.00: 100% of the session budget (read live; the ledgers say $7.50)
    code, out, err = hook(vault, s.payload())
    assert (code, err) == (0, "")
    message = said(out)["systemMessage"]
    assert message.startswith(
        "tokenbook: this session is at 100% of its budget "
        "($10.00 of $10.00, $200.00/h over 0h 03m)."  # four responses a minute apart
    )
    assert "decision" not in said(out)


def test_past_the_hard_limit_it_only_warns_by_default(guarded):
    vault, s = guarded
    s.add(2)  # $12.50: 125%
    code, out, _ = hook(vault, s.payload())
    assert code == 0
    message = said(out)["systemMessage"]
    assert "125% of its budget" in message
    assert "past the 110% hard limit (`guard: warn`: not blocking)" in message


def test_it_blocks_only_where_guard_block_is_set_and_names_the_way_on(capsys, guarded):
    vault, s = guarded
    s.add(2)
    edit(vault / "bets" / "auth-login.md", "appetite: 40%\n", "appetite: 40%\nguard: block\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    code, out, err = hook(vault, s.payload())
    assert (code, err) == (0, "")
    answer = said(out)
    assert answer["decision"] == "block"
    assert "`guard: block` in bets/auth-login.md" in answer["reason"]
    assert f"To let this session go on: tokenbook guard allow {SESSION}" in answer["reason"]
    # A subagent spawn waits for the user's approval; other tools are not the guard's business.
    spawn = said(hook(vault, s.payload("PreToolUse", tool_name="Task"))[1])
    assert spawn["hookSpecificOutput"]["permissionDecision"] == "ask"
    assert hook(vault, s.payload("PreToolUse", tool_name="Bash")) == (0, "", "")
    # The named command lets the session go on; it is still warned.
    assert run(capsys, "guard", "allow", SESSION)[0] == 0
    message = said(hook(vault, s.payload())[1])["systemMessage"]
    assert "allowed to go on past the hard limit" in message
    assert "decision" not in said(hook(vault, s.payload())[1])


def test_a_cycle_can_ask_for_blocks_and_settings_can_turn_the_guard_off(capsys, guarded):
    vault, s = guarded
    s.add(2)
    edit(vault / "cycles" / "2026-11.md", "reserve: 10%\n", "reserve: 10%\nguard: block\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert "`guard: block` in cycles/2026-11.md" in said(hook(vault, s.payload())[1])["reason"]
    edit(vault / "bets" / "auth-login.md", "appetite: 40%\n", "appetite: 40%\nguard: warn\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert "systemMessage" in said(hook(vault, s.payload())[1])  # the bet's own wins
    edit(vault / "bets" / "auth-login.md", "guard: warn\n", "guard: off\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    assert hook(vault, s.payload()) == (0, "", "")
    assert hook(vault, s.payload(), TOKENBOOK_GUARD="off") == (0, "", "")


def test_the_bet_is_checked_with_what_the_ledgers_do_not_have_yet(capsys, vault, logs):
    """A session not synced yet counts on top of its bet's figures (and goes to the bet that
    claims it today: the cycle is stretched to hold whatever day the test runs on)."""
    cycle = vault / "cycles" / "2026-11.md"
    edit(cycle, "start: 2026-11-02\nend: 2026-11-29", "start: 2000-01-01\nend: 2099-12-31")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    s = Session(logs)
    s.add(4)  # $10 of the bet's $12 (83%), no session budget
    message = said(hook(vault, s.payload())[1])["systemMessage"]
    assert message.startswith(
        "tokenbook: bet auth-login is at 83% of its appetite ($10.00 of $12.00"
    )


def test_advice_shows_what_the_rest_buys_on_cheaper_models(capsys, guarded):
    vault, s = guarded
    bet = vault / "bets" / "auth-login.md"
    edit(bet, "session_budget: {usd: 10}", "session_budget: {usd: 10, warn: 50%}")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    message = said(hook(vault, s.payload())[1])["systemMessage"]
    first = "$2.50 left ÷ $25.00/Mtok = 100.0k tokens on Claude Opus 4.5"  # output only
    assert f"At this session's mix of input, output and cache: {first}; " in message
    options = re.findall(r"\$2\.50 left ÷ \$([\d.]+)/Mtok = ([\d.]+)k tokens on ([^;.]+)", message)
    assert len(options) >= 2
    for rate, thousands, _ in options:
        assert abs(2.5 / float(rate) * 1000 - float(thousands)) < 0.1
    assert [float(r) for r, _, _ in options] == sorted(
        (float(r) for r, _, _ in options), reverse=True
    )


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ("summary", "JSONDecodeError"),
        ("transcript", ""),  # unreadable: no live spend, the ledgers' figures stand
        ("stdin", "JSONDecodeError"),
        ("vault", ""),  # no summary: nothing to compare with
        ("prices", "TypeError"),
    ],
)
def test_it_fails_open(capsys, guarded, breakage, reason):
    vault, s = guarded
    s.add(2)
    edit(vault / "bets" / "auth-login.md", "appetite: 40%\n", "appetite: 40%\nguard: block\n")
    assert run(capsys, "render", "--vault", vault)[0] == 0
    stdin = s.payload()
    summary = vault / ".tokenbook-cache" / "summary.json"
    if breakage == "summary":
        summary.write_text('{"format": 1, "bets": [', encoding="utf-8")
    elif breakage == "transcript":
        s.path.chmod(0)
        if os.access(s.path, os.R_OK):  # root reads it anyway: make it a folder instead
            s.path.chmod(0o644)
            s.path.unlink()
            s.path.mkdir()
    elif breakage == "stdin":
        stdin = '{"session_id": '
    elif breakage == "vault":
        os.rename(vault, vault.with_name("gone"))
        vault.mkdir()
    else:
        data = json.loads(summary.read_text(encoding="utf-8"))
        data["prices"] = [{"name": "x", "patterns": 7}]
        summary.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = hook(vault, stdin)
    assert (code, out) == (0, "")
    if reason:
        assert err.startswith(f"tokenbook guard: not checked ({reason}: ")
        assert err.endswith("; nothing blocked\n")
    else:
        assert err == ""


def test_the_status_line_shows_the_sessions_share_of_its_budget(guarded):
    vault, s = guarded
    s.add(1)
    done = subprocess.run(
        [str(program()[0]), "statusline", "--vault", str(vault)],
        input=s.payload("Status"),
        capture_output=True,
        text=True,
        env={"HOME": os.environ["HOME"], "PATH": MINIMAL_PATH, "NO_COLOR": "1"},
        check=True,
    )
    assert done.stdout.strip().endswith("· session 100%! ($10.00 of $10.00)")


def test_allow_needs_a_session(capsys):
    code, out, err = run(capsys, "guard", "allow")
    assert (code, out) == (1, "")
    assert "tokenbook guard allow SESSION" in err


def test_a_sessions_live_cost_equals_what_the_reports_say_after_sync(capsys, vault, logs):
    """Every pricing variant, a response written over two lines, a subagent's file: the guard's
    figures for the session equal `report session` once the session is synced."""
    from tokenbook.guard_policy import Spend
    from tokenbook.guard_spend import Prices
    from tokenbook.guard_spend import session_usage
    from tokenbook.statusline import read_summary

    s = Session(logs)
    lines = [
        assistant("a1", session=SESSION, model="claude-opus-5", output=1, cache_write_1h=400),
        assistant("a1", session=SESSION, model="claude-opus-5", output=900, cache_write_1h=400),
        assistant("a2", session=SESSION, model="claude-opus-5", speed="fast"),
        assistant("a3", session=SESSION, model="claude-opus-5", inference_geo="us"),
        assistant(
            "a4", session=SESSION, model="claude-opus-5", server_tool_use={"web_search_requests": 2}
        ),
        assistant(
            "a5",
            session=SESSION,
            model="claude-sonnet-4-5-20250929",
            ts="2026-04-01T10:00:00.000Z",
            input=250_000,
        ),
        assistant("a6", session=SESSION, model="claude-experimental-9"),
    ]
    s.path.write_text("".join(json.dumps(ln) + "\n" for ln in lines), encoding="utf-8")
    sub = s.path.parent / SESSION / "subagents" / "agent-ab1.jsonl"
    sub.parent.mkdir(parents=True)
    sidechain = assistant("a7", session=SESSION, sidechain=True, agent_id="ab1", output=777)
    sub.write_text(json.dumps(sidechain) + "\n", encoding="utf-8")
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    summary = read_summary(vault)
    responses = session_usage(vault, s.path, SESSION)
    spend = Spend(responses, Prices(summary), summary["timezone"])
    code, out, err = run(capsys, "report", "session", "--json", "--vault", vault)
    assert (code, err) == (0, "")
    (row,) = json.loads(out)["rows"]
    assert row["responses"] == spend.responses == 7
    assert row["priced_usd"] == f"{spend.usd.normalize():f}"
    assert row["unpriced_tokens"] == spend.unpriced == 10 + 100 + 1000 + 5000
    assert row["total_tokens"] == spend.tokens
    # Read again from where it stopped: the same figures, and a new line is added once.
    assert session_usage(vault, s.path, SESSION) == responses
    s.add(1)
    assert len(session_usage(vault, s.path, SESSION)) == 8


def test_status_counts_a_bets_sessions_against_their_budget(capsys, guarded, logs):
    vault, s = guarded
    s.add(2)  # $12.50 of $10: past the warning and the hard limit
    other = Session(logs, "sg-2")
    other.add(1)  # $2.50: neither
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    code, out, err = run(capsys, "status", "--json", "--vault", vault)
    assert (code, err) == (0, "")
    bet = next(b for b in json.loads(out)["bets"] if b["id"] == "auth-login")
    assert bet["session_budget"] == {
        "usd": "10",
        "tokens": None,
        "warn": "80",
        "block": "110",
        "guard": "warn",
        "sessions": 2,
        "past_warning": 1,
        "past_hard_limit": 1,
        "largest": {
            "session": SESSION,
            "percent": "125.0",
            "used_usd": "12.50",
            "used_tokens": 500_050,
            "unpriced_tokens": 0,
        },
    }
    text = run(capsys, "status", "--vault", vault)[1]
    assert (
        "session budget $10.00 (warn 80%, hard limit 110%, guard: warn): 2 session(s)"
        in " ".join(text.split())
    )
