"""What a bet's tokens bought: the commits that are its work, from the git repositories on this
machine (docs/outcomes.md has the rule and its limits).

A bet's **places** are the (project, branch) pairs its usage names: every ledger row, and every
response's place (where its session's main thread worked at that moment). In each place's
repository, the bet's **commits** are the non-merge commits reachable from the branch and not
from the default branch as it was before it took the branch in (`outcome_git.rule_base`), whose
author time falls in the bet's span: its first to last response, widened by `SLACK` each side.
Commits are deduplicated by id and sorted, so two clones with the same repositories agree.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.outcome_git import Git
from tokenbook.outcome_git import Repo
from tokenbook.outcome_git import valid_branch
from tokenbook.records import from_micros
from tokenbook.reports import Filter
from tokenbook.store import LedgerSet
from tokenbook.store import Placed

SLACK = timedelta(hours=2)  # commits this long before the first / after the last response count
NO_DATA = "no outcome data"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceResult:
    """One place of a bet and what the rule found there."""

    project: str
    branch: str
    repository: str | None = None  # the repository's common git folder, when on this machine
    commits: int = 0  # the rule's commits found here (before joining places)
    note: str = ""  # why this place gives no data ("" when it does)
    default: bool = False  # the default branch itself: the rule cannot apply, and says so

    @property
    def counted(self) -> bool:
        return not self.note


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    bet: str
    known: bool  # some place gave data: the figures below are counts, not guesses
    note: str = ""  # why there is no data; or, when known, which places gave none
    start: datetime | None = None  # the span commits must fall in (slack included)
    end: datetime | None = None
    places: tuple[PlaceResult, ...] = ()
    commits: tuple[str, ...] = ()  # commit ids, sorted
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0

    @property
    def partial(self) -> bool:
        """Some place that should have given data did not: the counts are floors."""
        return self.known and any(not p.counted and not p.default for p in self.places)

    @property
    def changed_lines(self) -> int:
        return self.lines_added + self.lines_removed


Place = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Usage:
    """Where and when a bet's usage happened."""

    places: tuple[Place, ...]  # sorted
    first: datetime | None
    last: datetime | None


def _day_kept(keep: Filter | None, day: date, project: str) -> bool:
    if keep is None:
        return True
    if (keep.since and day < keep.since) or (keep.until and day > keep.until):
        return False
    return keep.project is None or fnmatchcase(project, keep.project)


# Per ledger: its rows, and where (and when) its responses were made; a time of None: a row
# counts the response, so it is inside the ledger's span.
Index = dict[str, tuple[list[Placed], list[tuple[Place, datetime | None]]]]


def usage_index(ledgers: LedgerSet, keep: Filter | None = None) -> Index:
    """Per ledger: its rows, and its responses with where their session's main thread worked
    when they were made (without `keep`, from what the tally keeps: `derived.py`)."""
    out: Index = {}
    for placed in ledgers.rows.values():
        out.setdefault(placed.ledger, ([], []))[0].append(placed)
    if keep is None:
        for _, counted, others in ledgers.derived.values():
            for ledger, project, branch in counted:
                out.setdefault(ledger, ([], []))[1].append(((project, branch), None))
            for ledger, project, branch, at in others:
                out.setdefault(ledger, ([], []))[1].append(((project, branch), from_micros(at)))
        return out
    where = ledgers.places()  # `attribution.contexts` of every record, kept while unchanged
    for rid, (ledger, rec) in ledgers.records.items():
        place = where.get(rid, (rec.ctx.project, rec.ctx.branch))
        out.setdefault(ledger, ([], []))[1].append((place, rec.at))
    return out


def bet_usage(
    ledgers: LedgerSet, bet: str, keep: Filter | None = None, index: Index | None = None
) -> Usage:
    """The places and span of a ledger's usage: its rows, and each response's own place."""
    rows, recs = (usage_index(ledgers, keep) if index is None else index).get(bet, ([], []))
    places: set[Place] = set()
    first = last = None
    for placed in rows:
        row = placed.row
        if keep is not None and not keep.keeps(placed):
            continue
        places.add((row.project, row.branch))
        first = row.first if first is None else min(first, row.first)
        last = row.last if last is None else max(last, row.last)
    tz = ZoneInfo(ledgers.timezone)
    for (project, branch), at in recs:
        if at is None:
            places.add((project, branch))
            continue
        if first is None or last is None or not first <= at <= last:
            continue
        if _day_kept(keep, at.astimezone(tz).date(), project):
            places.add((project, branch))
    return Usage(tuple(sorted(places)), first, last)


def _is_default(repo: Repo, branch: str) -> bool:
    short = (repo.default or "").rsplit("/", 1)[-1] if repo.default else ""
    return bool(short) and (branch == short or (repo.default or "").endswith("/" + branch))


Found = tuple[Repo, list[tuple[str, int]]]


def _place(git: Git, project: str, branch: str) -> tuple[PlaceResult, Found | None]:
    """What one place gives, before the span is applied to its commits' times."""
    here = PlaceResult(project=project, branch=branch)
    if not branch:
        return replace(here, note="no branch recorded"), None
    if branch == "HEAD":
        return replace(here, note="a detached HEAD, no branch"), None
    if not valid_branch(branch):
        return replace(here, note="not a branch name git accepts"), None
    repo = git.repo(project)
    if isinstance(repo, str):
        return replace(here, note=repo), None
    here = replace(here, repository=str(repo.common))
    if _is_default(repo, branch):
        note = (
            f"{branch} is the default branch: the rule counts a branch's own commits, and "
            "work on the default branch has none to tell apart"
        )
        return replace(here, note=note, default=True), None
    found = git.commits(repo, branch)
    if isinstance(found, str):
        return replace(here, note=found), None
    return here, (repo, found)


def outcome_of(git: Git, bet: str, usage: Usage) -> Outcome:
    """Apply the rule to one bet's usage."""
    if usage.first is None or usage.last is None:
        return Outcome(bet=bet, known=False, note="no usage yet")
    start, end = usage.first - SLACK, usage.last + SLACK
    lo, hi = int(start.timestamp()), int(end.timestamp())
    results: list[PlaceResult] = []
    chosen: dict[str, tuple[Repo, set[str]]] = {}  # repository → commits in the span
    for project, branch in usage.places:
        result, found = _place(git, project, branch)
        if found is not None:
            repo, commits = found
            inside = {c for c, at in commits if lo <= at <= hi}
            chosen.setdefault(str(repo.common), (repo, set()))[1].update(inside)
            result = replace(result, commits=len(inside))
        results.append(result)
    return _count(bet, tuple(results), chosen, (start, end), git)


def _count(
    bet: str,
    places: tuple[PlaceResult, ...],
    chosen: dict[str, tuple[Repo, set[str]]],
    span: tuple[datetime, datetime],
    git: Git,
) -> Outcome:
    start, end = span
    if not chosen:
        note = _why_none(places)
        return Outcome(bet=bet, known=False, note=note, start=start, end=end, places=places)
    seen: set[str] = set()
    files: set[tuple[str, str]] = set()
    added = removed = 0
    for common in sorted(chosen):
        repo, commits = chosen[common]
        todo = sorted(commits - seen)
        stats = git.stat(repo, todo)
        if stats is None:
            note = f"git could not read the commits of {common}"
            return Outcome(bet=bet, known=False, note=note, start=start, end=end, places=places)
        for sha in todo:
            s = stats[sha]
            files.update((common, p) for p in s.paths)
            added += s.added
            removed += s.removed
        seen.update(todo)
    missing = [p for p in places if not p.counted and not p.default]
    note = "; ".join(_where(p, places) + p.note for p in missing)
    return Outcome(
        bet=bet,
        known=True,
        note=note,
        start=start,
        end=end,
        places=places,
        commits=tuple(sorted(seen)),
        files_changed=len(files),
        lines_added=added,
        lines_removed=removed,
    )


def _why_none(places: tuple[PlaceResult, ...]) -> str:
    if not places:
        return "no usage names a project and branch"
    reasons = sorted({p.note for p in places})
    if len(reasons) == 1:
        return reasons[0]
    return "; ".join(_where(p, places) + p.note for p in places)


def _where(p: PlaceResult, places: tuple[PlaceResult, ...]) -> str:
    """`branch: ` when every place is in one project, else `project @ branch: `."""
    branch = p.branch or "(no branch)"
    return f"{branch}: " if len({x.project for x in places}) == 1 else f"{p.project} @ {branch}: "


def outcomes_of(
    ledgers: LedgerSet, bets: Iterable[str], keep: Filter | None = None
) -> dict[str, Outcome]:
    """The outcome of each named ledger (`unassigned` belongs to no bet: no data)."""
    git, usages = Git(), ledger_usages(ledgers, keep)
    out = {}
    for bet in bets:
        if bet == UNASSIGNED:
            out[bet] = Outcome(bet=bet, known=False, note="unassigned usage belongs to no bet")
        else:
            out[bet] = outcome_of(git, bet, usages(bet))
    return out


def ledger_usages(ledgers: LedgerSet, keep: Filter | None = None) -> Callable[[str], Usage]:
    """`bet_usage` of any ledger; without a filter (or one that keeps everything), from the
    ledger cache's columns when the records are not made yet (`spans.py`: no object each)."""
    columns = ledgers.columns()
    if (keep is not None and keep != Filter()) or columns is None:
        index = usage_index(ledgers, keep)
        return lambda bet: bet_usage(ledgers, bet, keep, index)
    from tokenbook.logcolumns import arrays
    from tokenbook.spans import usages

    found = usages(arrays(columns), ledgers.rows.values())
    return lambda bet: Usage(*found.get(bet, ((), None, None)))


def bet_outcomes(vault: Vault, ledgers: LedgerSet) -> dict[str, Outcome]:
    """Every bet's outcome (bets of the vault and ledgers without a bet file), by bet id."""
    return outcomes_of(ledgers, sorted({b.id for b in vault.bets} | set(ledgers.files)))
