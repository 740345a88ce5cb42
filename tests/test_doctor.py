"""`tokenbook doctor`: each check passing and failing on real vaults, settings files and logs."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log

TODAY = date.today()
CHECKS = ["vault", "hook", "logs", "prices", "cycle", "unassigned", "git", "merge", "cache"]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def doctor(capsys: Any, vault: Path, *args: str | Path) -> tuple[int, list[dict[str, str]]]:
    code, out, err = run(capsys, "doctor", "--vault", vault, "--json", *args)
    assert err == ""
    data = json.loads(out)
    assert data["ok"] is (code == 0)
    assert data["vault"] == str(vault.resolve())
    return code, data["findings"]


def by_check(findings: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for f in findings:
        out.setdefault(f["check"], []).append(f)
    return out


def today_at(hour: int) -> str:
    return f"{TODAY}T{hour:02d}:00:00.000Z"


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctor reads ./.claude/settings*.json too: run in a folder of our own."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def home() -> Path:
    return Path.home()  # a temp folder (autouse fixture)


@pytest.fixture
def ready(capsys, tmp_path, home) -> Path:
    """What the README's five minutes leave: init, git, usage in the logs, the hook installed."""
    root = tmp_path / "budget"
    assert run(capsys, "init", root, "--no-history")[0] == 0
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    write_log(home / ".claude", "p/s.jsonl", [assistant("m1", session="s-1", ts=today_at(0))])
    code, _, err = run(capsys, "hook", "install", "--vault", root)  # runs one sync, too
    assert code == 0, err
    return root


@needs_git
def test_everything_set_up_passes(capsys, ready, home):
    code, findings = doctor(capsys, ready)
    assert code == 0, findings
    assert [f["check"] for f in findings] == CHECKS
    assert all(f["status"] == "ok" for f in findings), findings
    messages = {f["check"]: f["message"] for f in findings}
    assert messages["logs"].startswith(f"1 log file(s) under {home}/.config/claude, {home}/.claude")
    assert messages["prices"] == "all 1 model(s) in the ledgers have a price"
    assert messages["cycle"].startswith(f"today ({TODAY}) is in `{TODAY:%Y-%m}`")
    assert messages["unassigned"] == f"no usage without a bet in cycle `{TODAY:%Y-%m}`"
    code, out, _ = run(capsys, "doctor", "--vault", ready)
    assert code == 0
    assert out.endswith("9 ok, 0 warning(s), 0 failed\n")
    assert out.startswith(f"ok    vault       {ready.resolve()}: valid, 1 ledger row(s)")


def test_a_new_machine_fails_and_says_what_to_do(capsys, tmp_path, home):
    root = tmp_path / "budget"
    assert run(capsys, "init", root, "--no-history")[0] == 0
    code, out, err = run(capsys, "doctor", "--vault", root)
    assert (code, err) == (1, "")
    assert (
        f"FAIL  hook        no SessionEnd hook runs tokenbook sync ({home}/.claude/settings.json)\n"
        f"                  fix: run `tokenbook hook install --vault {root.resolve()}`\n"
    ) in out
    assert (
        f"FAIL  logs        no Claude Code logs (projects/**/*.jsonl) under {home}/.config/claude, "
        f"{home}/.claude\n"
    ) in out
    assert "warn  prices      no usage in the ledgers yet, so no model to check\n" in out
    assert "warn  cache       no sync cache yet\n" in out
    assert "2 failed\n" in out


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (
            "tokenbook sync --quiet --wait 5 --vault {vault}",
            "`tokenbook` is not on the PATH Claude Code may give hooks (/usr/bin:/bin)",
        ),
        (
            "/gone/venv/bin/tokenbook sync --quiet --vault {vault}",
            "/gone/venv/bin/tokenbook does not exist (the installation moved or was removed)",
        ),
    ],
)
def test_a_hook_that_would_not_run_fails(capsys, ready, home, command, problem):
    path = home / ".claude" / "settings.json"
    hook = {"type": "command", "command": command.format(vault=ready)}
    path.write_text(json.dumps({"hooks": {"SessionEnd": [{"hooks": [hook]}]}}))
    code, findings = doctor(capsys, ready)
    assert code == 1
    (found,) = by_check(findings)["hook"]
    assert found == {
        "check": "hook",
        "status": "fail",
        "message": f"{path}: the hook would not run: {problem}",
        "fix": f"run `tokenbook hook install --vault {ready.resolve()}`",
    }


def test_a_hook_for_another_vault_and_a_broken_project_settings_file(capsys, ready, tmp_path):
    other = tmp_path / "other"
    assert run(capsys, "init", other, "--no-history")[0] == 0
    assert run(capsys, "hook", "install", "--no-check", "--vault", other)[0] == 0
    project = Path.cwd() / ".claude" / "settings.json"
    project.parent.mkdir()
    project.write_bytes(b'{"model": "caf\xe9"}')
    code, findings = doctor(capsys, ready)
    hook = by_check(findings)["hook"]
    assert [(f["status"], f["message"].split(": ")[0]) for f in hook] == [
        ("fail", f"{project}:1"),
        ("warn", str(Path.home() / ".claude" / "settings.json")),
    ]
    assert "not UTF-8" in hook[0]["message"]
    assert hook[1]["message"].endswith(f"the hook syncs another vault, {other.resolve()}")
    assert code == 1


def test_unpriced_models_fail_and_hand_logged_usage_warns(capsys, ready, home):
    odd = assistant("m2", session="s-2", ts=today_at(1), model="claude-nobody-1")
    write_log(home / ".claude", "p/t.jsonl", [odd])
    assert run(capsys, "sync", "--vault", ready, "--quiet")[0] == 0
    args = ("--bet", "first-feature", "--tokens", "1000", "--date", str(TODAY))
    assert run(capsys, "log", "--vault", ready, *args)[0] == 0
    code, findings = doctor(capsys, ready)
    assert code == 1
    prices = by_check(findings)["prices"]
    assert [(f["status"], f["message"]) for f in prices] == [
        ("fail", "claude-nobody-1: 6,110 tokens have no price (shown as unpriced, never $0)"),
        ("warn", "1,000 tokens logged by hand without --model are unpriced"),
    ]
    assert prices[0]["fix"] == (
        "add a `match:` pattern and dated `prices:` for claude-nobody-1 to a file under "
        f"{ready / 'pricing'}"
    )


def test_usage_without_a_bet_is_a_warning_with_its_size(capsys, ready, home):
    stray = assistant("m3", session="s-3", ts=today_at(2), branch="experiment")
    write_log(home / ".claude", "p/u.jsonl", [stray])
    assert run(capsys, "sync", "--vault", ready, "--quiet")[0] == 0
    code, findings = doctor(capsys, ready)
    (found,) = by_check(findings)["unassigned"]
    assert (found["status"], found["message"]) == (
        "warn",
        f"6,110 tokens in 1 session(s) in cycle `{TODAY:%Y-%m}` belong to no bet",
    )
    assert "tokenbook assign SESSION BET" in found["fix"]
    assert code == 0, findings


def test_cycles_ended_cooldown_and_repeat(capsys, vault):
    """The example vault's one cycle: 2026-11-02 → 2026-11-29, no repeat."""
    cycle = vault / "cycles" / "2026-11.md"
    findings = doctor(capsys, vault, "--as-of", "2026-12-03")[1]
    (found,) = by_check(findings)["cycle"]
    assert found["status"] == "fail"
    assert found["message"].startswith("today (2026-12-03) is in no cycle: the last one, `2026-11`")
    assert "repeat: monthly" in found["fix"]
    cycle.write_text(cycle.read_text().replace("reserve: 10%", "reserve: 10%\nrepeat: monthly"))
    found = by_check(doctor(capsys, vault, "--as-of", "2026-12-03")[1])["cycle"][0]
    assert (found["status"], found["message"]) == (
        "ok",
        "today (2026-12-03) is in `2026-12` (2026-12-02 → 2026-12-29; made by `repeat:` from "
        "`2026-11`)",
    )
    found = by_check(doctor(capsys, vault, "--as-of", "2026-12-01")[1])["cycle"][0]
    assert found["status"] == "warn"  # a cooldown: the next cycle is planned
    assert found["fix"] == "nothing, if this is a planned cooldown"


def test_a_broken_vault_fails_but_the_machine_is_still_checked(capsys, ready):
    bet = ready / "bets" / "first-feature.md"
    bet.write_text(bet.read_text().replace("appetite: 50%", "appetite: lots"))
    code, out, err = run(capsys, "doctor", "--vault", ready)
    assert (code, err) == (1, "")
    assert f"FAIL  vault       1 problem(s), such as {bet}:3: `appetite`" in out
    assert f"fix: run `tokenbook check --vault {ready.resolve()}`" in out
    assert "ok    hook " in out
    assert "ok    logs " in out
    assert "Traceback" not in out


@needs_git
def test_merge_lines_are_read_the_way_git_reads_them(capsys, ready, tmp_path):
    (ready / ".gitattributes").write_text("*.md text eol=lf\nledgers/*.md merge=union\n")
    found = by_check(doctor(capsys, ready)[1])["merge"][0]
    assert (found["status"], found["message"]) == (
        "warn",
        "3 of the union-merge lines are missing from .gitattributes",
    )
    assert found["fix"].endswith(
        "limits.md merge=union; cost-dashboard.md merge=union; progress/*.md merge=union"
    )
    # A vault in a subfolder, the lines in the repository's top .gitattributes: fine.
    repo = tmp_path / "repo"
    shutil.move(ready, repo / "budget")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.rmtree(repo / "budget" / ".git")
    (repo / "budget" / ".gitattributes").unlink()
    lines = ("budget/ledgers/*.md", "budget/*.md", "budget/progress/*.md")
    (repo / ".gitattributes").write_text("".join(f"{p} merge=union\n" for p in lines))
    found = by_check(doctor(capsys, repo / "budget")[1])
    assert found["git"][0]["message"] == f"the vault is in the git work tree {repo}"
    assert found["merge"][0]["status"] == "ok"


def test_outside_git_the_vaults_own_gitattributes_is_read(capsys, ready, monkeypatch):
    monkeypatch.setenv("PATH", "")  # no git to ask
    findings = by_check(doctor(capsys, ready)[1])
    assert (findings["git"][0]["status"], findings["git"][0]["message"]) == (
        "warn",
        "git is not installed",
    )
    assert findings["merge"][0]["status"] == "ok"


def test_a_cache_from_another_version_is_a_warning(capsys, ready):
    path = ready / ".tokenbook-cache" / "sync.bin"
    path.write_bytes(b"tokenbook sync cache 1 python 2.7\n")
    found = by_check(doctor(capsys, ready)[1])["cache"][0]
    assert found == {
        "check": "cache",
        "status": "warn",
        "message": f"{path} was written by another tokenbook or Python version",
        "fix": "nothing: the next sync rebuilds it (slower once)",
    }


def test_doctor_writes_nothing(capsys, ready):
    before = {p: p.read_bytes() for p in ready.rglob("*") if p.is_file()}
    doctor(capsys, ready)
    assert {p: p.read_bytes() for p in ready.rglob("*") if p.is_file()} == before
