"""Turning guards on and off: `hook install --guard`, `hook uninstall [--guard]`, and the
`guard:` and `session_budget:` fields of settings, cycles and bets (located errors)."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import run
from tokenbook.hookcommand import MINIMAL_PATH
from tokenbook.hooks import is_guard
from tokenbook.model import Guard
from tokenbook.model import SessionBudget
from tokenbook.vault import load_vault


def settings_file() -> Path:
    return Path(os.environ["HOME"]) / ".claude" / "settings.json"


def test_install_adds_both_guard_hooks_once_beside_the_users_own(capsys, vault):
    path = settings_file()
    path.parent.mkdir(parents=True)
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}
    path.write_text(json.dumps({"hooks": {"PreToolUse": [mine]}}, indent=2) + "\n")
    code, out, err = run(capsys, "hook", "install", "--guard", "--no-check", "--vault", vault)
    assert (code, err) == (0, "")
    assert "guard: UserPromptSubmit and PreToolUse (Task|Agent) run" in out
    hooks = json.loads(path.read_text())["hooks"]
    (prompt,) = hooks["UserPromptSubmit"]
    assert "matcher" not in prompt
    (command,) = {h["command"] for h in prompt["hooks"]}
    assert is_guard(command)
    assert command.endswith(f"guard --vault {vault.resolve()}")
    assert prompt["hooks"][0]["timeout"] == 10
    assert hooks["PreToolUse"] == [mine, {"matcher": "Task|Agent", "hooks": prompt["hooks"]}]
    before = path.read_bytes()
    assert run(capsys, "hook", "install", "--guard", "--no-check", "--vault", vault)[0] == 0
    assert path.read_bytes() == before  # installing twice changes nothing
    # The installed command runs as Claude Code runs it: nothing to say yet, exit 0.
    done = subprocess.run(
        command,
        shell=True,
        input='{"session_id": "s", "hook_event_name": "UserPromptSubmit", "prompt": "hi"}',
        capture_output=True,
        text=True,
        env={"HOME": os.environ["HOME"], "PATH": MINIMAL_PATH},
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_uninstall_guard_removes_only_the_guard(capsys, vault):
    path = settings_file()
    assert run(capsys, "hook", "install", "--guard", "--no-check", "--vault", vault)[0] == 0
    code, out, _ = run(capsys, "hook", "uninstall", "--guard")
    assert (code, out) == (0, f"{path}: removed the guard hooks\n")
    data = json.loads(path.read_text())
    assert set(data["hooks"]) == {"SessionEnd"}
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == {}


@pytest.mark.parametrize(
    ("command", "guard"),
    [
        ("/x/.venv/bin/tokenbook guard --vault /v", True),
        ("/usr/bin/python3 -P -m tokenbook guard", True),
        ("tokenbook guard allow s-1", False),
        ("/x/bin/tokenbook sync --quiet", False),
        ("guard", False),
        (None, False),
    ],
)
def test_guard_hooks_are_recognised_by_what_they_run(command, guard):
    assert is_guard(command) is guard


def _bet(vault: Path, lines: str) -> Path:
    path = vault / "bets" / "auth-login.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("appetite: 40%\n", f"appetite: 40%\n{lines}"), encoding="utf-8")
    return path


def test_fields_read_as_written(vault):
    _bet(vault, "guard: {mode: block, warn: 90%}\nsession_budget: {usd: $10, tokens: 2_000_000}\n")
    cycle = vault / "cycles" / "2026-11.md"
    text = cycle.read_text(encoding="utf-8").replace("reserve: 10%\n", "reserve: 10%\nguard: off\n")
    cycle.write_text(text, encoding="utf-8")
    settings = vault / "tokenbook.md"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("timezone: UTC\n", "timezone: UTC\nguard: block\n"))
    loaded = load_vault(vault)
    bet = loaded.bet("auth-login")
    assert bet is not None
    assert bet.guard == Guard(mode="block", warn=Decimal("0.9"), block=Decimal("1.1"))
    assert bet.session_budget == SessionBudget(usd=Decimal(10), tokens=2_000_000)
    assert loaded.cycles[0].guard == Guard(mode="off")
    assert loaded.settings.guard == Guard(mode="block")


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ("guard: maybe\n", 5, "`guard`: 'maybe' is not one of: off, warn, block"),
        ("session_budget: {usd: -1}\n", 5, "`usd`: expected a number >= 0, got -1"),
        ("session_budget: {warn: 80%}\n", 5, "a session budget needs `usd:` and/or `tokens:`"),
        ("session_budget: 10\n", 5, "`session_budget` must be a mapping such as `{usd: 10}`"),
        (
            "session_budget: {usd: 5, warn: 120%, block: 110%}\n",
            5,
            "`warn` (120%) is above `block` (110%); swap them",
        ),
        ("guard: {mode: block, blok: 120%}\n", 5, "unknown key `blok`; known keys here: block"),
        ("guard: {block: lots}\n", 5, "`block`: expected a share such as `80%` or `110%`"),
    ],
)
def test_bad_fields_are_located_errors(capsys, vault, lines, line, message):
    path = _bet(vault, lines)
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert f"{path}:{line}: {message}" in err
