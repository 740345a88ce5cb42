"""Read-only questions to the git repositories a bet's sessions worked in.

Git runs with a clean environment: no `GIT_*` variable of the caller (a hook's `GIT_DIR` would
point every call at another repository), no system or global configuration
(`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`, so a user's `diff.renames` or alias never
changes a figure), no replace refs, no optional locks, `core.fsmonitor` off. Only plumbing that
reads is used (`rev-parse`, `show-ref`, `symbolic-ref`, `merge-base`, `rev-list`, `diff-tree`),
and names from the ledgers reach git only as full ref names after a strict check, never as
options or revision expressions.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tokenbook.gitrun import git

DEFAULT_REFS = ("refs/heads/main", "refs/heads/master")
_HEX = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)|^[-/.]|[/.]$")
_NUMSTAT = re.compile(r"(\d+|-)\t(\d+|-)\t(.*)", re.S)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return env | {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


def run_git(cwd: Path, *args: str, stdin: str | None = None) -> str | None:
    """`git <args>` in `cwd`: its output, or None when git is missing, fails or times out."""
    done = git(cwd, *args, stdin=stdin, env=git_env())
    return done.stdout if done is not None and done.returncode == 0 else None


def valid_branch(name: str) -> bool:
    """A branch name git could have written (`git check-ref-format --branch` rules, strictly)."""
    return bool(name) and name != "HEAD" and not _BAD_REF.search(name)


@dataclass(frozen=True, slots=True)
class Repo:
    """A repository on this machine: its common git folder (shared by all its worktrees), a work
    folder to run git in, and its default branch (a full ref name) if it has one."""

    common: Path
    cwd: Path
    default: str | None


def find_repo(project: str) -> Repo | str:
    """The repository holding the folder `project`, or why there is none."""
    folder = Path(project)
    if not project or not folder.is_absolute():
        return "the project is not an absolute path"
    if not folder.is_dir():
        return "the project folder is not on this machine"
    common = run_git(folder, "rev-parse", "--git-common-dir")
    if common is None or not common.strip():
        return "the project folder is not in a git repository" + (
            "" if shutil.which("git") else " (git is not installed)"
        )
    return Repo(common=(folder / common.strip()).resolve(), cwd=folder, default=_default(folder))


def _default(cwd: Path) -> str | None:
    """The upstream's HEAD (`refs/remotes/origin/HEAD`), else `main`, else `master`."""
    upstream = run_git(cwd, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
    if upstream and upstream.strip().startswith("refs/remotes/origin/"):
        return upstream.strip()
    return next((ref for ref in DEFAULT_REFS if _resolve(cwd, ref)), None)


def _resolve(cwd: Path, ref: str) -> str | None:
    """The commit a full ref name points at (exactly that ref, no revision syntax)."""
    out = run_git(cwd, "show-ref", "--verify", "--hash", ref)
    sha = out.strip() if out else ""
    return sha if _HEX.fullmatch(sha) else None


def branch_tip(repo: Repo, branch: str) -> str | None:
    """The branch's commit: the local branch, else `origin`'s copy of it."""
    if not valid_branch(branch):
        return None
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        sha = _resolve(repo.cwd, ref)
        if sha:
            return sha
    return None


def rule_base(repo: Repo, tip: str, default: str) -> str | None:
    """What the branch's own commits are counted from: the default branch as it was before it
    first took `tip` in (the first parent of the oldest commit on its first-parent line that
    contains `tip`), or the default branch itself when it does not contain `tip`. None when
    `tip` is on the default branch's first-parent line (work on it, or a fast-forward merge):
    the branch's commits cannot be told from the default branch's then."""
    head = _resolve(repo.cwd, default)
    if head is None:
        return None
    if run_git(repo.cwd, "merge-base", "--is-ancestor", tip, head) is None:
        return head  # not merged (or not as an ancestor): everything the default lacks
    line = run_git(repo.cwd, "rev-list", "--first-parent", "--ancestry-path", f"{tip}..{head}")
    taken = line.split() if line else []
    if not taken:
        return None  # tip is the default branch's head
    base = run_git(repo.cwd, "rev-parse", "--verify", "--quiet", f"{taken[-1]}^1")
    sha = base.strip() if base else ""
    return None if not sha or sha == tip else sha


def own_commits(repo: Repo, tip: str, base: str) -> list[tuple[str, int]]:
    """(commit id, author time in epoch seconds) of every non-merge commit reachable from `tip`
    and not from `base`."""
    out = run_git(repo.cwd, "rev-list", "--no-merges", "--format=%H %at", tip, f"^{base}")
    found = []
    for line in (out or "").splitlines():
        if line.startswith("commit "):
            continue
        sha, _, at = line.partition(" ")
        if _HEX.fullmatch(sha) and at.strip().lstrip("-").isdigit():
            found.append((sha, int(at)))
    return found


@dataclass(frozen=True, slots=True)
class CommitStat:
    """What one commit changed against its parent: the paths (a rename counts as its new path),
    and the lines added and removed (binary files change no lines), as `git diff --numstat -M`
    counts them, so their sums equal `git diff --shortstat` of the commit."""

    paths: tuple[str, ...]
    added: int
    removed: int


def commit_stats(repo: Repo, commits: list[str]) -> dict[str, CommitStat] | None:
    """Each commit's change against its first parent (a root commit's against nothing)."""
    if not commits:
        return {}
    out = run_git(
        repo.cwd,
        "diff-tree",
        "--stdin",
        "-r",
        "-M",
        "--numstat",
        "-z",
        "--root",
        "--no-textconv",
        "--no-ext-diff",
        stdin="".join(c + "\n" for c in commits),
    )
    return None if out is None else parse_numstat(out)


def parse_numstat(out: str) -> dict[str, CommitStat]:
    """`diff-tree --stdin -z --numstat` output: a commit id, then its entries
    (`added\\tremoved\\tpath`, or `added\\tremoved\\t` then the old and new paths of a rename)."""
    stats: dict[str, list[tuple[str, int, int]]] = {}
    current: list[tuple[str, int, int]] = []
    tokens = out.split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        entry = _NUMSTAT.fullmatch(token)
        if entry is None:
            if _HEX.fullmatch(token.strip()):
                current = stats.setdefault(token.strip(), [])
            continue
        path = entry.group(3)
        if not path:  # a rename: the old path, then the new one
            path, i = tokens[i + 1] if i + 1 < len(tokens) else "", i + 2
        added, removed = (0 if x == "-" else int(x) for x in entry.group(1, 2))
        current.append((path, added, removed))
    return {
        sha: CommitStat(
            paths=tuple(p for p, _, _ in entries),
            added=sum(a for _, a, _ in entries),
            removed=sum(r for _, _, r in entries),
        )
        for sha, entries in stats.items()
    }


class Git:
    """The repositories and branches asked about during one command, each asked once."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo | str] = {}
        self.branches: dict[tuple[str, str], list[tuple[str, int]] | str] = {}
        self.stats: dict[tuple[str, str], CommitStat] = {}

    def repo(self, project: str) -> Repo | str:
        if project not in self.repos:
            self.repos[project] = find_repo(project)
        return self.repos[project]

    def commits(self, repo: Repo, branch: str) -> list[tuple[str, int]] | str:
        """The branch's own commits (id, author time), or why the rule cannot apply."""
        key = (str(repo.common), branch)
        if key not in self.branches:
            self.branches[key] = _branch_commits(repo, branch)
        return self.branches[key]

    def stat(self, repo: Repo, commits: Iterable[str]) -> dict[str, CommitStat] | None:
        common = str(repo.common)
        missing = sorted(c for c in set(commits) if (common, c) not in self.stats)
        found = commit_stats(repo, missing)
        if found is None or set(found) != set(missing):
            return None
        self.stats |= {(common, c): s for c, s in found.items()}
        return {c: self.stats[(common, c)] for c in commits}


def _branch_commits(repo: Repo, branch: str) -> list[tuple[str, int]] | str:
    if repo.default is None:
        return "the repository has no default branch (origin/HEAD, main or master)"
    tip = branch_tip(repo, branch)
    if tip is None:
        return f"branch {branch} is not in the repository (deleted, or never fetched)"
    base = rule_base(repo, tip, repo.default)
    if base is None:
        return (
            f"branch {branch} is on the default branch's own line (a fast-forward merge, or "
            "work on the default branch): its commits cannot be told from the default branch's"
        )
    return own_commits(repo, tip, base)
