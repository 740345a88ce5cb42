"""The commands Claude Code runs for tokenbook: built from this installation's absolute path,
recognised by what they run, and proved by running one the way Claude Code does.

Claude Code runs hooks through the shell with its own environment, which often lacks the PATH
of the virtualenv, pipx or uv tool that holds tokenbook; and it ignores a SessionEnd hook's exit
code, so a bare `tokenbook sync` that is not found fails without anyone noticing. Hence an
absolute path, and one run with a minimal PATH before the hook is written.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOOK_WAIT_SECONDS = 5
MINIMAL_PATH = "/usr/bin:/bin"  # what a hook may get when no shell profile set PATH up
PROOF_TIMEOUT = 900  # a first sync over years of logs takes a while
PASSED_ON = ("CLAUDE_CONFIG_DIR",)  # Claude Code's own setting reaches its hooks


def program(executable: str | None = None) -> list[str]:
    """This installation: the console script beside its interpreter, else `python -P -m
    tokenbook` (`-P`: the project folder a hook runs in can never shadow the package)."""
    # Made absolute but not resolved: a venv's python is a symlink out of the venv.
    python = Path(os.path.abspath(executable or sys.executable))
    script = python.parent / ("tokenbook.exe" if os.name == "nt" else "tokenbook")
    if script.is_file():
        return [str(script)]
    return [str(python), "-P", "-m", "tokenbook"]


def sync_command(vault: Path, prog: list[str]) -> str:
    args = ["sync", "--quiet", "--wait", str(HOOK_WAIT_SECONDS), "--vault", str(vault)]
    return shlex.join([*prog, *args])


def statusline_command(prog: list[str]) -> str:
    return shlex.join([*prog, "statusline"])


def split(command: Any) -> list[str] | None:
    """The words of a shell command, None when it is not one."""
    if not isinstance(command, str):
        return None
    try:
        return shlex.split(command)
    except ValueError:
        return None


def _arguments(command: Any) -> list[str] | None:
    """What follows the tokenbook program (`tokenbook`, `/x/bin/tokenbook`, `python -m
    tokenbook`), or None when the command does not run tokenbook."""
    words = split(command)
    if not words:
        return None
    if Path(words[0]).name in ("tokenbook", "tokenbook.exe"):
        return words[1:]
    for i in range(1, len(words) - 1):
        if words[i] == "-m" and words[i + 1] == "tokenbook":
            return words[i + 2 :]
    return None


def is_sync(command: Any) -> bool:
    args = _arguments(command)
    return args is not None and args[:2] == ["sync", "--quiet"]


def is_statusline(command: Any) -> bool:
    args = _arguments(command)
    return args is not None and args[:1] == ["statusline"]


def hook_vault(command: Any) -> Path | None:
    """The `--vault` a sync command names."""
    args = _arguments(command) or []
    for i, word in enumerate(args[:-1]):
        if word == "--vault":
            return Path(args[i + 1])
    return None


@dataclass(frozen=True, slots=True)
class Proof:
    """One run of a hook command as Claude Code runs it."""

    code: int  # -1: it did not finish
    seconds: float
    output: str  # what it printed (stderr, then stdout), stripped

    @property
    def ok(self) -> bool:
        return self.code == 0


def minimal_env(environ: Mapping[str, str], home: Path) -> dict[str, str]:
    """HOME, a PATH without any virtualenv, and Claude Code's own config dir if set."""
    env = {"HOME": str(home), "PATH": MINIMAL_PATH}
    if os.name == "nt":  # Windows needs these to start any process at all
        keep = ("SYSTEMROOT", "USERPROFILE", "PATH", "PATHEXT", "COMSPEC", "TEMP", "TMP")
        env |= {k: environ[k] for k in keep if k in environ}
    env |= {k: environ[k] for k in PASSED_ON if environ.get(k)}
    return env


def session_end_payload(cwd: Path) -> str:
    """The JSON Claude Code writes to a SessionEnd hook's stdin."""
    return json.dumps(
        {
            "session_id": "tokenbook-hook-install-check",
            "transcript_path": "",
            "cwd": str(cwd),
            "hook_event_name": "SessionEnd",
            "reason": "other",
        }
    )


def prove(command: str, *, environ: Mapping[str, str], home: Path, cwd: Path) -> Proof:
    """Run `command` through the shell with a minimal environment and the session JSON on
    stdin, as Claude Code runs a SessionEnd hook."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            shell=True,
            input=session_end_payload(cwd),
            capture_output=True,
            text=True,
            errors="replace",
            env=minimal_env(environ, home),
            cwd=cwd,
            timeout=PROOF_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Proof(-1, time.monotonic() - started, f"still running after {PROOF_TIMEOUT}s")
    output = "\n".join(t.strip() for t in (done.stderr, done.stdout) if t.strip())
    return Proof(done.returncode, time.monotonic() - started, output)
