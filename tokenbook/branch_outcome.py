"""`tokenbook diff`: what the branch under review cost, and what it changed.

The branch is the one checked out in the repository that holds the vault (or the one named
with `--branch`). Its cost is the usage the ledgers record on a branch of that name in a project
folder of this same repository (any of its worktrees) on this machine. Its change is the
non-merge commits reachable from HEAD and not from the revision diffed against, counted as the
outcome rule counts a bet's commits (docs/outcomes.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenbook.model import Vault
from tokenbook.money import amount
from tokenbook.outcome_git import Git
from tokenbook.outcome_git import Repo
from tokenbook.outcome_git import find_repo
from tokenbook.outcome_git import run_git
from tokenbook.outcome_text import money_rate
from tokenbook.outcome_view import Yield
from tokenbook.outcomes import Outcome
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import LedgerSet


@dataclass(frozen=True, slots=True)
class BranchCost:
    branch: str
    usage: Usage
    elsewhere_tokens: int  # on a branch of that name in projects not on this machine


def current_branch(folder: Path) -> str | None:
    out = run_git(folder, "symbolic-ref", "-q", "--short", "HEAD")
    return out.strip() if out and out.strip() else None


def branch_cost(vault: Vault, ledgers: LedgerSet, repo: Repo, branch: str, git: Git) -> BranchCost:
    book = PriceBook(vault)
    usage, elsewhere = Usage(), 0
    for placed in ledgers.rows.values():
        row = placed.row
        if row.branch != branch:
            continue
        found = git.repo(row.project)
        if isinstance(found, Repo) and found.common == repo.common:
            usage.add(row, book)
        elif isinstance(found, str) and "not on this machine" in found:
            elsewhere += row.tokens.total
    return BranchCost(branch, usage, elsewhere)


def branch_change(repo: Repo, rev: str, git: Git) -> Outcome | str:
    """The commits HEAD has and `rev` has not (merges excluded), counted like a bet's."""
    head = run_git(repo.cwd, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    base = run_git(repo.cwd, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if not head or not base:
        return f"git cannot resolve HEAD and {rev}"
    listed = run_git(repo.cwd, "rev-list", "--no-merges", head.strip(), f"^{base.strip()}")
    commits = sorted((listed or "").split())
    stats = git.stat(repo, commits)
    if stats is None:
        return "git could not read the commits"
    files = {p for s in stats.values() for p in s.paths}
    return Outcome(
        bet="",
        known=True,
        commits=tuple(commits),
        files_changed=len(files),
        lines_added=sum(s.added for s in stats.values()),
        lines_removed=sum(s.removed for s in stats.values()),
    )


def branch_markdown(
    vault: Vault, ledgers: LedgerSet, rev: str, branch: str | None = None
) -> list[str]:
    """The "This branch" section; empty when the vault's repository has no usage on it."""
    repo = find_repo(str(vault.root.resolve()))
    if isinstance(repo, str):
        return []
    name = branch or current_branch(repo.cwd)
    if name is None:
        return [
            "### This branch",
            "",
            "_HEAD is detached: give `--branch NAME` to see what the branch cost._",
            "",
        ]
    git = Git()
    cost = branch_cost(vault, ledgers, repo, name, git)
    if not cost.usage.responses:
        return []
    u = cost.usage
    spent = (
        f"{amount(u.priced_usd, bool(u.unpriced))} and {u.tokens.total:,} tokens in "
        f"{len(u.sessions)} session(s)"
    )
    out = ["### This branch", "", f"`{name}` cost {spent}."]
    change = branch_change(repo, rev, git)
    if isinstance(change, str):
        out.append(f"What it changed: no outcome data ({change}).")
    else:
        out.append(
            _change_text(rev, change, Yield(outcome=change, usage=u, deliverables_done=None))
        )
    if cost.elsewhere_tokens:
        out.append(
            f"Not counted: {cost.elsewhere_tokens:,} tokens on a branch `{name}` in project "
            "folders that are not on this machine."
        )
    return [*out, ""]


def _change_text(rev: str, o: Outcome, y: Yield) -> str:
    text = (
        f"Since `{rev}` it changed {o.files_changed:,} file(s), +{o.lines_added:,}/"
        f"-{o.lines_removed:,} lines in {len(o.commits):,} commit(s)"
    )
    line, commit = y.rate("changed_line"), y.rate("commit")
    rates = []
    if line.tokens is not None:
        rates.append(f"{money_rate(line)} and {line.tokens:,.0f} tokens per changed line")
    if commit.tokens is not None:
        rates.append(f"{money_rate(commit)} per commit")
    return text + (f": {'; '.join(rates)}." if rates else ".")
