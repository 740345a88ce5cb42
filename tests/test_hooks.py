"""`tokenbook hook install|uninstall` on real settings.json files in a temp HOME, and the
installed SessionEnd command run the way Claude Code runs it: through the shell, with a
minimal environment (no virtualenv on PATH) and the session's JSON on stdin."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import filelock
import pytest

import tokenbook
from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tokenbook.hookcommand import hook_vault
from tokenbook.hookcommand import is_statusline
from tokenbook.hookcommand import is_sync
from tokenbook.hookcommand import program

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
PROGRAM = shlex.join(program())
MINIMAL = {"PATH": "/usr/bin:/bin"}  # what Claude Code may give a hook: no virtualenv on PATH


def settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def write_settings(path: Path, data: object, indent: int | str = 4) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")
    return path.read_bytes()


def ours(vault: Path) -> str:
    return f"{PROGRAM} sync --quiet --wait 5 --vault {shlex.quote(str(vault.resolve()))}"


def our_hook(vault: Path) -> dict[str, str]:
    return {"type": "command", "command": ours(vault)}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return Path(os.environ["HOME"])  # the autouse fixture points HOME at a temp folder


def session_end(
    command: str, home: Path, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a hook command as Claude Code does: `sh -c`, only HOME and a bare PATH, JSON on stdin."""
    payload = {"session_id": "s-1", "cwd": str(cwd), "hook_event_name": "SessionEnd"}
    return subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={"HOME": str(home), **MINIMAL, **env},
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )


def test_install_merges_keeps_order_and_layout_and_is_idempotent(capsys, vault, home):
    path = settings(home)
    write_settings(path, THEIRS)
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert (code, err) == (0, "")
    assert f"SessionEnd runs `{ours(vault)}`" in out
    assert "exited 0 in" in out
    expected = json.loads(json.dumps(THEIRS))
    expected["hooks"]["SessionEnd"].append({"hooks": [our_hook(vault)]})
    assert path.read_text() == json.dumps(expected, indent=4) + "\n"  # their 4-space indent
    once = path.read_bytes()
    code, out, _ = run(capsys, "hook", "install", "--vault", vault)
    assert code == 0
    assert "already set up, unchanged" in out
    assert path.read_bytes() == once
    # The vault is recorded for the status line.
    recorded = home / ".config" / "tokenbook" / "vault"
    assert recorded.read_text() == f"{vault.resolve()}\n"


def test_the_command_is_this_installations_absolute_path():
    words = shlex.split(ours(Path("/v")))
    assert Path(words[0]).is_absolute()
    assert Path(words[0]).parent == Path(os.path.abspath(sys.executable)).parent
    assert os.access(words[0], os.X_OK)


def test_without_a_script_beside_the_interpreter_it_runs_the_module_safely(tmp_path):
    python = tmp_path / "bin" / "python3"
    assert program(str(python)) == [str(python), "-P", "-m", "tokenbook"]
    # `-P`: a `tokenbook` package in the folder a hook runs in is never imported.
    (tmp_path / "tokenbook").mkdir()
    (tmp_path / "tokenbook" / "__main__.py").write_text("print('hijacked')\n")
    done = subprocess.run(
        [sys.executable, "-P", "-m", "tokenbook", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"tokenbook {tokenbook.__version__}\n")


@pytest.mark.parametrize(
    ("command", "sync", "statusline"),
    [
        ("tokenbook sync --quiet --wait 5 --vault /v", True, False),  # what 0.1 wrote
        ("/home/me/.venv/bin/tokenbook sync --quiet --vault '/my v'", True, False),
        ("'/opt/py 3/python3' -P -m tokenbook sync --quiet --vault /v", True, False),
        ("tokenbook sync --vault /v", False, False),  # not ours: we always write --quiet
        ("mytokenbook sync --quiet", False, False),
        ("echo tokenbook sync --quiet", False, False),
        ("tokenbook statusline", False, True),
        ("/x/bin/python -P -m tokenbook statusline --vault /v", False, True),
        ("unclosed 'quote", False, False),
        (None, False, False),
    ],
)
def test_our_commands_are_recognised_by_what_they_run(command, sync, statusline):
    assert (is_sync(command), is_statusline(command)) == (sync, statusline)


def test_the_vault_of_a_hook_command():
    assert hook_vault(ours(Path("/my vault"))) == Path("/my vault")
    assert hook_vault("tokenbook sync --quiet") is None


def test_uninstall_removes_only_our_entries(capsys, vault, home):
    path = settings(home)
    original = write_settings(path, THEIRS)
    assert run(capsys, "hook", "install", "--statusline", "--vault", vault)[0] == 0
    data = json.loads(path.read_text())
    assert data["statusLine"] == {"type": "command", "command": f"{PROGRAM} statusline"}
    code, out, _ = run(capsys, "hook", "uninstall")
    assert code == 0
    assert "removed tokenbook entries" in out
    assert path.read_bytes() == original
    # Nothing of ours left: a second uninstall does not touch the file at all.
    assert "nothing to remove" in run(capsys, "hook", "uninstall")[1]
    assert path.read_bytes() == original


def test_an_old_bare_command_is_replaced_in_place_and_their_empty_groups_stay(capsys, vault, home):
    old = {"type": "command", "command": "tokenbook sync --quiet --wait 5 --vault /old"}
    mine = {"hooks": {"SessionEnd": [{"hooks": []}, {"hooks": [old, {"command": "x"}]}]}}
    path = settings(home)
    write_settings(path, mine, indent=2)
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    groups = json.loads(path.read_text())["hooks"]["SessionEnd"]
    assert groups == [{"hooks": []}, {"hooks": [our_hook(vault), {"command": "x"}]}]
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == {
        "hooks": {"SessionEnd": [{"hooks": []}, {"hooks": [{"command": "x"}]}]}
    }


def test_install_into_a_missing_file_and_uninstall_leaves_an_empty_object(capsys, vault, home):
    path = settings(home)
    assert run(capsys, "hook", "install", "--vault", vault)[0] == 0
    assert json.loads(path.read_text()) == {"hooks": {"SessionEnd": [{"hooks": [our_hook(vault)]}]}}
    assert path.read_text().startswith('{\n  "hooks"')  # Claude Code's own 2-space layout
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert path.read_text() == "{}\n"


def test_a_second_vault_replaces_ours_in_place(capsys, vault, home, tmp_path):
    other = tmp_path / "other"
    assert run(capsys, "init", other)[0] == 0
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    assert run(capsys, "hook", "install", "--no-check", "--vault", other)[0] == 0
    groups = json.loads(settings(home).read_text())["hooks"]["SessionEnd"]
    assert groups == [{"hooks": [our_hook(other)]}]


def test_a_vault_path_with_spaces_is_quoted_for_the_shell(capsys, home, tmp_path):
    spaced = tmp_path / "my budget"
    assert run(capsys, "init", spaced)[0] == 0
    assert run(capsys, "hook", "install", "--vault", spaced)[0] == 0
    groups = json.loads(settings(home).read_text())["hooks"]["SessionEnd"]
    command = groups[0]["hooks"][0]["command"]
    assert command == f"{PROGRAM} sync --quiet --wait 5 --vault '{spaced.resolve()}'"


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
    code, out, _ = run(capsys, "hook", "install", "--no-check", "--statusline", "--vault", vault)
    assert code == 0
    shown = '{"type": "command", "command": "~/bin/my-line.sh", "padding": 0}'
    assert f"kept your own statusLine ({shown})" in out
    assert json.loads(path.read_text())["statusLine"] == mine["statusLine"]
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == mine


# ----------------------------------------------------------------- what the settings file is


def test_a_symlinked_settings_file_stays_a_symlink(capsys, vault, home, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "claude-settings.json"
    write_settings(real, THEIRS)
    link = settings(home)
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert json.loads(real.read_text())["hooks"]["SessionEnd"][-1] == {"hooks": [our_hook(vault)]}
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert link.is_symlink()
    assert json.loads(real.read_text()) == THEIRS


def test_numbers_keys_and_indentation_are_kept_as_written(capsys, vault, home):
    text = (
        '{\n\t"big": 1e999,\n\t"price": 1.50,\n\t"zero": -0,\n\t"id": 123456789012345678901,\n'
        '\t"odd": NaN,\n\t"z": {},\n\t"a": [\n\t\t"é",\n\t\t"\\ud800"\n\t]\n}'  # no final newline
    )
    path = settings(home)
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    written = path.read_text(encoding="utf-8")
    assert written.startswith(text[:-2] + ',\n\t"hooks": {\n\t\t"SessionEnd": [\n')
    assert "Infinity" not in written
    assert not written.endswith("\n")
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert path.read_text(encoding="utf-8") == text


def test_windows_line_endings_are_kept(capsys, vault, home):
    path = settings(home)
    path.parent.mkdir(parents=True)
    original = json.dumps(THEIRS, indent=2).replace("\n", "\r\n").encode() + b"\r\n"
    path.write_bytes(original)
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    written = path.read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n")
    assert json.loads(written)["hooks"]["SessionEnd"][-1] == {"hooks": [our_hook(vault)]}
    assert run(capsys, "hook", "uninstall")[0] == 0
    assert path.read_bytes() == original


def test_broken_settings_are_reported_and_left_alone(capsys, vault, home, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-auth")])
    os.environ["CLAUDE_CONFIG_DIR"] = str(logs)  # undone by the autouse fixture
    path = settings(home)
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "model": "opus",\n  "hooks": {\n}\n', encoding="utf-8")
    before = path.read_bytes()
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:5: not valid JSON")
    assert "nothing was written" in err
    assert path.read_bytes() == before
    assert not (vault / "ledgers" / "auth-login.md").exists()  # the check did not run either
    write_settings(path, {"hooks": []})
    code, _, err = run(capsys, "hook", "install", "--vault", vault)
    assert code == 1
    assert "`hooks` must be an object" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, ":0: is a folder, not a settings file; move it away"),
        (b'{\n  "model": "caf\xe9"\n}\n', ":2: not UTF-8 (byte 0xe9); save the file as UTF-8"),
        (b'{"a": 1, "a": 2}\n', ':0: the key "a" appears twice in one object'),
        (b"[1, 2]\n", ":1: settings must be a JSON object"),
    ],
)
def test_settings_we_cannot_edit_are_one_clear_error(capsys, vault, home, content, message):
    path = settings(home)
    if content is None:
        path.mkdir(parents=True)
    else:
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
    for args in (("install", "--vault", vault), ("uninstall",)):
        code, out, err = run(capsys, "hook", *args)
        assert (code, out) == (1, "")
        assert err.startswith(f"{path}{message}"), err
        assert "nothing was written" in err
        assert "Traceback" not in err
    assert path.is_dir() if content is None else path.read_bytes() == content


def test_install_refuses_a_folder_that_is_no_vault(capsys, home, tmp_path):
    code, _, err = run(capsys, "hook", "install", "--vault", tmp_path / "nowhere")
    assert code == 1
    assert "no vault here" in err
    assert not settings(home).exists()


# ---------------------------------------------------------------- the hook, run as Claude Code


def test_a_hook_that_would_not_run_is_not_installed(capsys, vault, home, monkeypatch):
    """What 0.1 wrote: a bare `tokenbook`, not on the PATH Claude Code gives its hooks."""
    monkeypatch.setattr("tokenbook.commands.hook.program", lambda: ["tokenbook"])
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert code == 1
    assert out.startswith("checking: running `tokenbook sync --quiet")
    assert err.startswith(
        f"{settings(home)}:0: hook not installed: the command exited 127 when run as Claude Code "
        "runs it (through the shell, PATH=/usr/bin:/bin, the session's JSON on stdin):\n  "
    )
    assert "not found" in err
    assert err.endswith("install` again; nothing was written.\n")
    assert not settings(home).exists()


def test_install_proves_the_hook_by_counting_the_logs(capsys, vault, home):
    write_log(home / ".claude", "p/s.jsonl", [assistant("m1", session="s-auth")])
    code, out, err = run(capsys, "hook", "install", "--vault", vault)
    assert (code, err) == (0, "")
    assert "checked: it ran the way Claude Code runs it (PATH=/usr/bin:/bin" in out
    totals = report(capsys, vault, "daily")["totals"]
    assert (totals["responses"], totals["total_tokens"]) == (1, 10 + 100 + 1000 + 5000)


def test_the_installed_hook_counts_logs_quietly_from_a_bare_environment(
    capsys, vault, home, tmp_path
):
    write_log(home / ".claude", "p/s.jsonl", [assistant("m1", session="s-auth")])
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    (command,) = [
        h["command"]
        for g in json.loads(settings(home).read_text())["hooks"]["SessionEnd"]
        for h in g["hooks"]
    ]
    # The session's project folder, holding a `tokenbook` package of its own.
    project = tmp_path / "project"
    (project / "tokenbook").mkdir(parents=True)
    (project / "tokenbook" / "__main__.py").write_text("open('HIJACKED', 'w')\n")
    done = session_end(command, home, project)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not (project / "HIJACKED").exists()
    totals = report(capsys, vault, "daily")["totals"]
    assert (totals["responses"], totals["total_tokens"]) == (1, 10 + 100 + 1000 + 5000)
    # Nothing new: the next session's end prints nothing and changes nothing.
    ledger = (vault / "ledgers" / "auth-login.md").read_bytes()
    done = session_end(command, home, project)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (vault / "ledgers" / "auth-login.md").read_bytes() == ledger


def test_a_locked_vault_stops_the_hook_cleanly(capsys, vault, home, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", session="s-auth")])
    assert run(capsys, "hook", "install", "--no-check", "--vault", vault)[0] == 0
    command = json.loads(settings(home).read_text())["hooks"]["SessionEnd"][0]["hooks"][0]
    command = command["command"].replace("--wait 5", "--wait 0.2")
    with filelock.FileLock(vault / ".tokenbook.lock"):
        done = session_end(command, home, home, CLAUDE_CONFIG_DIR=str(logs))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "another tokenbook sync is running on this vault" in done.stderr
    assert "Traceback" not in done.stderr
    done = session_end(command, home, home, CLAUDE_CONFIG_DIR=str(logs))
    assert (done.returncode, done.stderr) == (0, "")


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
