"""`tokenbook completion bash|zsh|fish`: scripts generated from the parser, run in real shells."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run
from tokenbook.cli import COMMANDS
from tokenbook.cli import _parser

SHELLS = ("bash", "zsh", "fish")


def script(capsys: Any, shell: str) -> str:
    code, out, err = run(capsys, "completion", shell)
    assert (code, err) == (0, "")
    return out


def options() -> dict[str, list[str]]:
    """Every option of every command, read off the parser independently of the generator."""
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [f for a in p._actions for f in a.option_strings if f.startswith("--")]
        for name, p in sub.choices.items()
    }


@pytest.mark.parametrize("shell", SHELLS)
def test_every_command_and_option_is_in_the_script(capsys, shell):
    text = script(capsys, shell)
    for command, flags in options().items():
        assert command in text
        for flag in flags:
            assert (f"-l {flag[2:]}" if shell == "fish" else flag) in text, (command, flag)
    assert set(COMMANDS) == set(options())


def complete_in_bash(path: Path, *words: str) -> list[str]:
    """What bash completes for `words` (the last one is being typed)."""
    driver = (
        f"source {path}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
        '_tokenbook; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "-c", driver, "bash", "tokenbook", *words],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_bash_completes_commands_options_and_choices(capsys, tmp_path):
    path = tmp_path / "tokenbook.bash"
    path.write_text(script(capsys, "bash"))
    assert complete_in_bash(path, "rep") == ["report"]
    assert complete_in_bash(path, "st") == ["status", "statusline"]
    assert complete_in_bash(path, "report", "--or") == ["--order"]
    assert complete_in_bash(path, "report", "--order", "") == ["cost", "date", "tokens"]
    assert complete_in_bash(path, "report", "--json", "w") == ["weekly"]
    assert complete_in_bash(path, "completion", "") == ["bash", "fish", "zsh", "-h", "--help"]
    # A path or a free value: nothing here, so bash falls back to its file completion.
    assert complete_in_bash(path, "report", "--vault", "") == []


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses_and_registers(capsys, tmp_path):
    path = tmp_path / "_tokenbook"
    path.write_text(script(capsys, "zsh"))
    subprocess.run(["zsh", "-n", str(path)], check=True)
    check = (
        f"autoload -Uz compinit; compinit -u -D -d {tmp_path}/zcompdump; source {path}; "
        "print -r -- ${_comps[tokenbook]}"
    )
    done = subprocess.run(["zsh", "-fc", check], capture_output=True, text=True, check=True)
    assert done.stdout == "_tokenbook\n"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_options_and_choices(capsys, tmp_path):
    path = tmp_path / "tokenbook.fish"
    path.write_text(script(capsys, "fish"))
    subprocess.run(["fish", "--no-execute", str(path)], check=True)

    def complete(line: str) -> list[str]:
        done = subprocess.run(
            ["fish", "--no-config", "-c", f"source {path}; complete -C {line!r}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return [ln.split("\t")[0] for ln in done.stdout.splitlines()]

    assert complete("tokenbook rep") == ["report"]
    assert complete("tokenbook report --order ") == ["cost", "date", "tokens"]
    assert "weekly" in complete("tokenbook report ")
    assert complete("tokenbook status --st") == ["--strict"]


def test_an_unknown_shell_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "completion", "powershell")
    assert exit_.value.code == 2
    assert "invalid choice: 'powershell'" in capsys.readouterr().err
