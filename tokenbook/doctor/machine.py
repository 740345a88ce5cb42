"""Doctor checks of this machine: the Claude Code hook, the logs, git, the sync cache."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path

from tokenbook import cache
from tokenbook import gitrun
from tokenbook.doctor.finding import Finding
from tokenbook.doctor.finding import fail
from tokenbook.doctor.finding import ok
from tokenbook.doctor.finding import warn
from tokenbook.errors import TokenbookError
from tokenbook.hookcommand import MINIMAL_PATH
from tokenbook.hookcommand import hook_vault
from tokenbook.hookcommand import split
from tokenbook.hooks import our_hooks
from tokenbook.hooks import read_settings
from tokenbook.scaffold import GITATTRIBUTES
from tokenbook.sources import claude_code

MERGED = tuple(
    line.split()[0] for line in GITATTRIBUTES.splitlines() if line.endswith("merge=union")
)


def _runnable(program: str) -> str | None:
    """Why a hook's program would not start from Claude Code, None when it would."""
    if os.path.isabs(program):
        if not os.path.isfile(program):
            return f"{program} does not exist (the installation moved or was removed)"
        if not os.access(program, os.X_OK):
            return f"{program} is not executable"
        return None
    if shutil.which(program, path=MINIMAL_PATH) is None:
        return f"`{program}` is not on the PATH Claude Code may give hooks ({MINIMAL_PATH})"
    return None


def check_hook(settings: Sequence[Path], root: Path) -> list[Finding]:
    """Our SessionEnd hook in one of Claude Code's settings files, its program there to run."""
    install = f"run `tokenbook hook install --vault {root}`"
    findings = []
    commands: list[tuple[Path, str]] = []
    for path in settings:
        try:
            data = read_settings(path).data
        except TokenbookError as e:
            findings.append(fail("hook", str(e), "fix the file, then " + install))
            continue
        commands += [(path, str(h["command"])) for _, h in our_hooks(data)]
    if not commands:
        where = ", ".join(map(str, settings))
        findings.append(fail("hook", f"no SessionEnd hook runs tokenbook sync ({where})", install))
    for path, command in commands:
        words = split(command) or [""]
        problem = _runnable(words[0])
        if problem is not None:
            findings.append(fail("hook", f"{path}: the hook would not run: {problem}", install))
            continue
        target = hook_vault(command)
        if target is not None and target.resolve() != root.resolve():
            message = f"{path}: the hook syncs another vault, {target}"
            findings.append(warn("hook", message, install + " to sync this one"))
        else:
            findings.append(ok("hook", f"{path}: SessionEnd runs `{command}`"))
    return findings


def check_logs(dirs: Sequence[Path]) -> list[Finding]:
    where = ", ".join(map(str, dirs))
    files = claude_code.discover(dirs)
    if not files:
        return [
            fail(
                "logs",
                f"no Claude Code logs (projects/**/*.jsonl) under {where}",
                "use Claude Code once, or point `logs:` in tokenbook.md, --logs or "
                "$CLAUDE_CONFIG_DIR at the config folder that holds projects/",
            )
        ]
    newest = max(_mtime(f) for f in files)
    when = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [ok("logs", f"{len(files):,} log file(s) under {where}, the newest written {when}")]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def check_git(root: Path) -> list[Finding]:
    """The vault is in a git work tree, and its ledgers and rendered files merge by union."""
    top = gitrun.work_tree_top(root) if gitrun.installed() else None
    if not gitrun.installed():
        findings = [warn("git", "git is not installed", "install git to share the vault")]
    elif top is None:
        why = "git keeps the ledgers' history and merges teammates' usage"
        findings = [warn("git", f"{root} is not in a git repository", f"`git init {root}`: {why}")]
    else:
        findings = [ok("git", f"the vault is in the git work tree {top}")]
    attrs = gitrun.merge_attributes(root, [p.replace("*", "x") for p in MERGED]) if top else None
    if attrs is None:  # no git to ask: the vault's own .gitattributes
        missing = _missing_lines(root)
    else:
        missing = [p for p in MERGED if attrs.get(p.replace("*", "x")) != "union"]
    if not missing:
        return [
            *findings,
            ok("merge", "ledgers and rendered files merge by union (.gitattributes)"),
        ]
    lines = "; ".join(f"{p} merge=union" for p in missing)
    message = f"{len(missing)} of the union-merge lines are missing from .gitattributes"
    return [
        *findings,
        warn("merge", message, f"add these lines to {root / '.gitattributes'}: {lines}"),
    ]


def _missing_lines(root: Path) -> list[str]:
    """Outside git: the union-merge patterns the vault's own .gitattributes lacks."""
    try:
        text = (root / ".gitattributes").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    have = {tuple(line.split()) for line in text.splitlines()}
    return [p for p in MERGED if (p, "merge=union") not in have]


def check_cache(root: Path) -> list[Finding]:
    path = root / cache.CACHE_DIR / cache.CACHE_FILE
    delete = f"delete {root / cache.CACHE_DIR} (it is disposable; the next sync rebuilds it)"
    try:
        with open(path, "rb") as f:
            head = f.read(len(cache.MAGIC))
    except FileNotFoundError:
        return [warn("cache", "no sync cache yet", "the next sync writes it")]
    except OSError as e:
        return [fail("cache", f"{path}: cannot read it ({e.strerror})", delete)]
    if head != cache.MAGIC:
        message = f"{path} was written by another tokenbook or Python version"
        return [warn("cache", message, "nothing: the next sync rebuilds it (slower once)")]
    return [ok("cache", f"{path} is readable")]
