"""The checked-out branch of a folder's git repository, read from `.git/HEAD` (no subprocess and
no `pathlib`: the status line asks it for a session no ledger knows yet)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokenbook.statusline import Folder


def git_branch(cwd: Folder) -> str:
    """The checked-out branch from `.git/HEAD` (no subprocess); '' when unknown or detached."""
    for folder in _and_parents(os.fspath(cwd)):
        dot_git = os.path.join(folder, ".git")
        try:
            if os.path.isfile(dot_git):  # a worktree or submodule: `gitdir: <path>`
                text = _read(dot_git).strip()
                dot_git = os.path.realpath(
                    os.path.join(folder, text.removeprefix("gitdir:").strip())
                )
            if os.path.isdir(dot_git):
                head = _read(os.path.join(dot_git, "HEAD")).strip()
                return head.removeprefix("ref: refs/heads/") if head.startswith("ref:") else ""
        except OSError:
            return ""
    return ""


def _and_parents(folder: str) -> list[str]:
    """The folder and each folder above it, by name (as `Path.parents`: `..` stays)."""
    out = [folder]
    while (up := os.path.dirname(out[-1].rstrip("/") or "/")) not in ("", out[-1]):
        out.append(up)
    if not os.path.isabs(folder) and out[-1] != ".":
        out.append(".")
    return out


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()
