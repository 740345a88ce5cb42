"""`tokenbook hook install|uninstall` on real settings.json files in a temp HOME, and the
installed SessionEnd command run the way Claude Code runs it (a shell)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log

# A user's settings.json with things of their own that must survive, in this key order.
THEIRS = {
    "model": "opus",
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh"}]},
        ],
        "SessionEnd": [
            {"hooks": [{"type": "command", "command": "notify-send bye", "timeout": 5}]},
        ],
    },
    "permissions": {"allow": ["Bash(git status)"]},
}


def settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def write_settings(path: Path, data: object, indent: int = 4) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")
    return path.read_bytes()


def ours(vault: Path) -> str:
    return f"tokenbook sync --quiet --wait 5 --vault {vault.resolve()}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return Path(os.environ["HOME"])  # the autouse fixture points HOME at a temp folder


def test_install_merges_keeps_order_and_is_idempotent(capsys, vault, home):
    path = settings(home)
    write_settings(path, THEIRS)
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert (code, err) == (0, "")
    assert f"SessionEnd runs `{ours(vault)}`" in out
    data = json.loads(path.read_text())
    assert list(data) == ["model", "hooks", "permissions"]
    assert list(data["hooks"]) == ["PreToolUse", "SessionEnd"]
    assert data["hooks"]["PreToolUse"] == THEIRS["hooks"]["PreToolUse"]
    assert data["hooks"]["SessionEnd"] == [
        *THEIRS["hooks"]["SessionEnd"],
        {"hooks": [{"type": "command", "command": ours(vault)}]},
    ]
    assert "statusLine" not in data
    once = path.read_bytes()
    code, out, _ = run(capsys, "hook", "install", "--vault", vault)
    assert code == 0
    assert "already set up, unchanged" in out
    assert path.read_bytes() == once
    # The vault is recorded for the status line.
    recorded = home / ".config" / "tokenbook" / "vault"
    assert recorded.read_text() == f"{vault.resolve()}\n"


def test_uninstall_removes_only_our_entries(capsys, vault, home):
    path = settings(home)
    write_settings(path, THEIRS)
    assert run(capsys, "hook", "install", "--statusline", "--vault", vault)[0] == 0
    data = json.loads(path.read_text())
    assert data["statusLine"] == {"type": "command", "command": "tokenbook statusline"}
    code, out, _ = run(capsys, "hook", "uninstall")
    assert code == 0
    assert "removed tokenbook entries" in out
    assert json.loads(path.read_text()) == THEIRS
    assert list(json.loads(path.read_text())) == list(THEIRS)
    # Nothing of ours left: a second uninstall does not touch the file at all.
    before = path.read_bytes()
    assert "nothing to remove" in run(capsys, "hook", "uninstall")[1]
    assert path.read_bytes() == before


def test_install_into_a_missing_file_and_uninstall_leaves_an_empty_object(capsys, vault, home):
    path = settings(home)
    assert run(capsys, "hook", "install", "--vault", vault)[0] == 0
    assert json.loads(path.read_text()) == {
        "hooks": {"SessionEnd": [{"hooks": [{"type": "command", "command": ours(vault)}]}]}
    }
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == {}


def test_a_second_vault_replaces_ours_in_place(capsys, vault, home, tmp_path):
    other = tmp_path / "other"
    assert run(capsys, "init", other)[0] == 0
    assert run(capsys, "hook", "install", "--vault", vault)[0] == 0
    assert run(capsys, "hook", "install", "--vault", other)[0] == 0
    groups = json.loads(settings(home).read_text())["hooks"]["SessionEnd"]
    assert groups == [{"hooks": [{"type": "command", "command": ours(other)}]}]


def test_a_vault_path_with_spaces_is_quoted_for_the_shell(capsys, home, tmp_path):
    spaced = tmp_path / "my budget"
    assert run(capsys, "init", spaced)[0] == 0
    assert run(capsys, "hook", "install", "--vault", spaced)[0] == 0
    groups = json.loads(settings(home).read_text())["hooks"]["SessionEnd"]
    command = groups[0]["hooks"][0]["command"]
    assert command == f"tokenbook sync --quiet --wait 5 --vault '{spaced.resolve()}'"


def test_project_scope_writes_dot_claude_in_the_current_folder(capsys, vault, home, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    os.chdir(project)
    try:
        code, out, _ = run(capsys, "hook", "install", "--project", "--vault", vault)
    finally:
        os.chdir(tmp_path)
    assert code == 0
    assert str(project / ".claude" / "settings.json") in out
    assert not settings(home).exists()
    data = json.loads((project / ".claude" / "settings.json").read_text())
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["command"] == ours(vault)


def test_their_own_status_line_is_kept(capsys, vault, home):
    mine = {"statusLine": {"type": "command", "command": "~/bin/my-line.sh", "padding": 0}}
    path = settings(home)
    write_settings(path, mine)
    code, out, _ = run(capsys, "hook", "install", "--statusline", "--vault", vault)
    assert code == 0
    assert "kept your own statusLine" in out
    assert json.loads(path.read_text())["statusLine"] == mine["statusLine"]
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == mine


def test_broken_settings_are_reported_and_left_alone(capsys, vault, home):
    path = settings(home)
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "model": "opus",\n  "hooks": {\n}\n', encoding="utf-8")
    before = path.read_bytes()
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:5: not valid JSON")
    assert "nothing was written" in err
    assert path.read_bytes() == before
    write_settings(path, {"hooks": []})
    code, _, err = run(capsys, "hook", "install", "--vault", vault)
    assert code == 1
    assert "`hooks` must be an object" in err


def test_install_refuses_a_folder_that_is_no_vault(capsys, home, tmp_path):
    code, _, err = run(capsys, "hook", "install", "--vault", tmp_path / "nowhere")
    assert code == 1
    assert "no vault here" in err
    assert not settings(home).exists()


def _shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a hook command as Claude Code does: through the shell, tokenbook on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env = env | {"PATH": path, "PYTHONPATH": str(REPO)}  # this checkout's code, not another
    return subprocess.run(command, shell=True, env=env, capture_output=True, text=True, check=False)


@pytest.mark.skipif(
    not (Path(sys.executable).parent / "tokenbook").exists(), reason="tokenbook script missing"
)
def test_the_installed_hook_syncs_quietly_and_a_locked_vault_stops_cleanly(
    capsys, vault, home, logs
):
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-auth")])
    assert run(capsys, "hook", "install", "--vault", vault)[0] == 0
    data = json.loads(settings(home).read_text())
    command = data["hooks"]["SessionEnd"][0]["hooks"][0]["command"]
    env = dict(os.environ) | {"CLAUDE_CONFIG_DIR": str(logs)}
    done = _shell(command, env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    totals = report(capsys, vault, "daily")["totals"]
    assert (totals["responses"], totals["total_tokens"]) == (1, 10 + 100 + 1000 + 5000)
    # Another sync holds the lock: the hook waits (here 0.2 s), then stops with one message.
    with open(vault / ".tokenbook.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        done = _shell(command.replace("--wait 5", "--wait 0.2"), env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "another tokenbook sync is running on this vault" in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------ pre-commit for users

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def manifest() -> dict[str, dict[str, object]]:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))  # pre-commit's schema
    return {h["id"]: h for h in hooks}


def run_hook(
    hook: dict[str, object], args: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """What pre-commit runs: the entry, then the user's args (pass_filenames is false)."""
    entry = str(hook["entry"]).split()
    command = [str(BIN / entry[0]), *entry[1:], *map(str, hook["args"]), *args]
    env = dict(os.environ) | {"PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.mark.skipif(not (BIN / "tokenbook").exists(), reason="tokenbook script missing")
def test_pre_commit_hooks_check_a_users_vault(capsys, vault, logs, tmp_path):
    hooks = manifest()
    assert set(hooks) == {"tokenbook-check", "tokenbook-render-check"}
    for hook in hooks.values():
        assert hook["pass_filenames"] is False
        assert hook["language"] == "python"
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-auth")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    for name in hooks:
        done = run_hook(hooks[name], ["--vault", str(vault)], tmp_path)
        assert (name, done.returncode) == (name, 0), done.stderr
    # The dashboard goes stale when a bet changes: the render check fails and says what to run.
    bet = vault / "bets" / "auth-login.md"
    bet.write_text(bet.read_text().replace("appetite: 40%", "appetite: 20%"))
    done = run_hook(hooks["tokenbook-render-check"], ["--vault", str(vault)], tmp_path)
    assert done.returncode == 1
    assert f"{vault / 'cost-dashboard.md'}:0: out of date; run `tokenbook render" in done.stderr
    # A broken bet fails the check hook with a located message.
    bet.write_text(bet.read_text().replace("appetite: 20%", "appetite: lots"))
    done = run_hook(hooks["tokenbook-check"], ["--vault", str(vault)], tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"{bet}:4: ")


@pytest.mark.skipif(not (BIN / "end-of-file-fixer").exists(), reason="pre-commit-hooks missing")
def test_generated_files_pass_the_standard_whitespace_hooks_untouched(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-auth")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    manual = ("--bet", "cafe-ui", "--tokens", "90000", "--date", "2026-11-05")
    assert run(capsys, "log", "--vault", vault, *manual)[0] == 0
    generated = [vault / "cost-dashboard.md", *(vault / "progress").glob("*.md")]
    generated += sorted((vault / "ledgers").glob("*.md"))
    before = {p: p.read_bytes() for p in generated}
    for fixer in ("trailing-whitespace-fixer", "end-of-file-fixer", "mixed-line-ending"):
        done = subprocess.run(
            [str(BIN / fixer), *map(str, generated)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{fixer}: {done.stdout}{done.stderr}"
    assert {p: p.read_bytes() for p in generated} == before
