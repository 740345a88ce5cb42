"""Ask git about a folder (is it a work tree, which attributes and ignore rules apply) without
letting the repository run anything: its `core.fsmonitor` command is switched off, and only
read-only plumbing commands are used."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

# A repository's own config can name programs git runs: none of them may run. An embedded bare
# repository (a folder a pull request could add) is not used at all.
SAFE = (
    "--no-pager",
    *("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false"),
    *("-c", "safe.bareRepository=explicit", "-c", "core.hooksPath=/dev/null"),
)
TIMEOUT = 60


def git(
    cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str] | None:
    """Run `git <args>` in `cwd` (with `env`, else ours); None when git is not installed or
    cannot start there."""
    exe = shutil.which("git")
    if exe is None:
        return None
    try:
        return subprocess.run(
            [exe, *SAFE, *args],
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def installed() -> bool:
    return shutil.which("git") is not None


def work_tree_top(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder`, None when it is in none."""
    done = git(folder, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0 or not done.stdout.strip():
        return None
    return Path(done.stdout.strip())


def merge_attributes(folder: Path, paths: Sequence[str]) -> dict[str, str] | None:
    """`merge` attribute of each path (relative to `folder`) as git resolves it from every
    .gitattributes that applies; None when git cannot answer."""
    done = git(folder, "check-attr", "-z", "merge", "--", *paths)
    if done is None or done.returncode != 0:
        return None
    parts = done.stdout.split("\0")
    return {parts[i]: parts[i + 2] for i in range(0, len(parts) - 2, 3)}


def _listed(done: subprocess.CompletedProcess[str] | None, ok: tuple[int, ...]) -> set[str] | None:
    if done is None or done.returncode not in ok:
        return None
    return {p for p in done.stdout.split("\0") if p}


def _ls_ignored(top: Path, paths: Sequence[str], folders: bool) -> set[str] | None:
    args = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"]
    return _listed(git(top, *args, *(["--directory"] if folders else []), "--", *paths), (0,))


def ignored_below(top: Path, folder: Path) -> set[str] | None:
    """Every path below `folder` that git ignores, relative to the work tree's `top` (`/`-
    separated; a folder a rule ignores once, ending in `/`), with every source of rules:
    .gitignore files, .git/info/exclude and the global core.excludesFile. Tracked files are
    never ignored, as in git. None when git cannot answer."""
    listed = _ls_ignored(top, [folder.relative_to(top).as_posix()], folders=True)
    folders = sorted(p for p in listed or () if p.endswith("/"))
    if listed is None or not folders:
        return listed
    # `--directory` also lists a folder whose files are all ignored, though no rule names it.
    stdin = "\0".join(folders) + "\0"
    named = _listed(git(top, "check-ignore", "--no-index", "-z", "--stdin", stdin=stdin), (0, 1))
    if named is None:
        return None
    loose = [f for f in folders if f not in named]
    files = _ls_ignored(top, loose, folders=False) if loose else set()
    return None if files is None else (listed - set(loose)) | files
