"""Decide which bet a group of usage belongs to: explicit sessions, then match rules."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from fnmatch import fnmatchcase

from tokenbook.model import UNASSIGNED
from tokenbook.model import Bet
from tokenbook.model import Rule
from tokenbook.model import Vault
from tokenbook.records import Rec


@dataclass(frozen=True, slots=True)
class Ambiguous:
    session: str
    project: str
    branch: str
    bets: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"session {self.session} (project {self.project or '-'}, branch {self.branch or '-'}) "
            f"matches bets {', '.join(self.bets)}; it went to `{UNASSIGNED}`. Add the session to "
            "one bet's `sessions:` list, or narrow the bets' `match:` rules"
        )


def _rule_matches(rule: Rule, project: str, branch: str) -> bool:
    if rule.project is not None and not fnmatchcase(project, rule.project):
        return False
    return rule.branch is None or fnmatchcase(branch, rule.branch)


class Attributor:
    """Explicit `sessions:` first; else the active bets whose cycle holds the day and whose rules
    match; else `unassigned`. More than one matching bet is ambiguous and goes to `unassigned`."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.explicit = {s: bet.id for bet in vault.bets for s in bet.sessions}
        self.ambiguous: dict[str, Ambiguous] = {}

    def explicit_bet(self, session: str) -> str | None:
        return self.explicit.get(session)

    def bet_for(self, session: str, day: date, project: str, branch: str) -> str:
        if session in self.explicit:
            return self.explicit[session]
        matches = [b.id for b in self.vault.bets if self._claims(b, day, project, branch)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.ambiguous.setdefault(session, Ambiguous(session, project, branch, tuple(matches)))
        return UNASSIGNED

    def _claims(self, bet: Bet, day: date, project: str, branch: str) -> bool:
        cycle = self.vault.cycle(bet.cycle)
        if bet.status != "active" or cycle is None or not cycle.contains(day):
            return False
        return any(_rule_matches(r, project, branch) for r in bet.rules)


# ----- the main thread's context: where a response's session was working when it was made

WORKTREE_MARKS = ("/.claude/worktrees/", "\\.claude\\worktrees\\")
WORKTREE_BRANCH = "worktree-agent-"


def project_of(cwd: str) -> str:
    """The project a working directory belongs to: an agent's isolated worktree
    (`<project>/.claude/worktrees/agent-…`) belongs to its project."""
    for mark in WORKTREE_MARKS:
        at = cwd.find(mark)
        if at >= 0:
            return cwd[:at]
    return cwd


def is_worktree_branch(branch: str) -> bool:
    return branch.startswith(WORKTREE_BRANCH)


Place = tuple[str, str]  # (project, branch)


def contexts(records: Iterable[Rec]) -> dict[str, Place]:
    """Record id → the (project, branch) its session's main thread was working in at that
    moment: subagents, sidechains and copies inherit it; a worktree agent's folder and branch
    never count as a place of their own. A session with no main-thread response keeps its own."""
    by_session: dict[str, list[Rec]] = {}
    for r in records:
        by_session.setdefault(r.ctx.session, []).append(r)
    out: dict[str, Place] = {}
    for recs in by_session.values():
        recs.sort(key=lambda r: (r.at, r.id))
        times, places = _timeline(recs)
        for r in recs:
            if not times:
                branch = "" if is_worktree_branch(r.ctx.branch) else r.ctx.branch
                out[r.id] = (project_of(r.ctx.project), branch)
            else:
                i = bisect.bisect_right(times, (r.at, r.id))
                out[r.id] = places[max(i - 1, 0)]
    return out


def _timeline(recs: list[Rec]) -> tuple[list[tuple[datetime, str]], list[Place]]:
    """The main thread's places in time order; a worktree branch keeps the branch before it."""
    times: list[tuple[datetime, str]] = []
    places: list[Place] = []
    branch = next(
        (r.ctx.branch for r in recs if r.ctx.main and not is_worktree_branch(r.ctx.branch)), ""
    )
    for r in recs:
        if not r.ctx.main:
            continue
        if not is_worktree_branch(r.ctx.branch):
            branch = r.ctx.branch
        times.append((r.at, r.id))
        places.append((project_of(r.ctx.project), branch))
    return times, places
