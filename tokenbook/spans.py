"""Where and when each ledger's usage happened (`outcomes.Usage`) from the ledger cache's
columns, without making the records: `outcomes.bet_usage` (no filter) on every ledger at once.

A ledger's places are those of its rows, and those of its responses from its first to its last
row's time, a response's place being where its session's main thread worked at that moment
(`attribution.contexts`). Most sessions work in one place all along: all their responses have
it, and a session without a main-thread response gives each response its own; the place is
then a property of the context, and a ledger needs only its earliest and latest response of
each context. The responses of a session that moved are placed one by one, as `contexts` does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from itertools import repeat
from operator import add
from operator import mul

from tokenbook.attribution import Place
from tokenbook.attribution import is_worktree_branch
from tokenbook.attribution import project_of
from tokenbook.logcolumns import US
from tokenbook.logcolumns import RecordArrays
from tokenbook.logcolumns import us
from tokenbook.records import EPOCH
from tokenbook.tally import Placed

Usage = tuple[tuple[Place, ...], datetime | None, datetime | None]  # as `outcomes.Usage`


@dataclass(slots=True)
class _Ledger:
    places: set[Place]
    first: int | None = None
    last: int | None = None

    def holds(self, at: int) -> bool:
        return self.first is not None and self.last is not None and self.first <= at <= self.last


def usages(a: RecordArrays, rows: Iterable[Placed]) -> dict[str, Usage]:
    """Each ledger's places, first and last time (of those with rows or records)."""
    found: dict[str, _Ledger] = {}
    for p in rows:
        span = found.setdefault(p.ledger, _Ledger(set()))
        span.places.add((p.row.project, p.row.branch))
        first, last = us(p.row.first), us(p.row.last)
        span.first = first if span.first is None else min(span.first, first)
        span.last = last if span.last is None else max(span.last, last)
    where, names = a.ledgers()
    spans = [found.setdefault(name, _Ledger(set())) for name in names]
    fixed = _fixed_places(a)
    moved = _by_context(a, where, spans, fixed)
    _place_each(a, moved, where, spans)
    return {
        name: (
            tuple(sorted(s.places)),
            None if s.first is None else EPOCH + s.first * US,
            None if s.last is None else EPOCH + s.last * US,
        )
        for name, s in found.items()
    }


def _fixed_places(a: RecordArrays) -> list[Place | None]:
    """Per context, the place of all its responses; None for a session that moved."""
    projects: dict[str, set[str]] = {}
    branches: dict[str, set[str]] = {}  # of the main thread, but worktree branches
    for c, on_main in zip(a.contexts, a.main, strict=True):
        if on_main:
            projects.setdefault(c.session, set()).add(project_of(c.project))
            known = branches.setdefault(c.session, set())
            if not is_worktree_branch(c.branch):
                known.add(c.branch)
    out: list[Place | None] = []
    for c in a.contexts:
        project, branch = projects.get(c.session), branches.get(c.session, set())
        if project is None:  # no main thread: its own place
            out.append((project_of(c.project), "" if is_worktree_branch(c.branch) else c.branch))
        elif len(project) == 1 and len(branch) <= 1:  # a worktree branch keeps the one before
            out.append((next(iter(project)), next(iter(branch), "")))
        else:
            out.append(None)
    return out


def _by_context(
    a: RecordArrays, where: list[int], spans: list[_Ledger], fixed: list[Place | None]
) -> list[int]:
    """Add the places of the responses of sessions that did not move; return the indices of
    the responses of those that did."""
    ledgers = len(spans)
    pairs = list(map(add, map(mul, a.kind, repeat(ledgers)), where))  # context and ledger
    order = sorted(range(len(pairs)), key=a.at.__getitem__)
    pairs_in_order = list(map(pairs.__getitem__, order))
    times = list(map(a.at.__getitem__, order))
    latest = dict(zip(pairs_in_order, times, strict=True))  # the last time of each wins
    earliest = dict(zip(reversed(pairs_in_order), reversed(times), strict=True))
    for pair, first in earliest.items():
        kind, ledger = divmod(pair, ledgers)
        span, place = spans[ledger], fixed[kind]
        if place is None or place in span.places:
            continue
        if _holds_any(a, (kind, ledger), where, span, (first, latest[pair])):
            span.places.add(place)
    moving = [place is None for place in fixed]
    return list(compress(range(len(pairs)), map(moving.__getitem__, a.kind)))


def _holds_any(
    a: RecordArrays, key: tuple[int, int], where: list[int], span: _Ledger, ends: tuple[int, int]
) -> bool:
    """Whether a response of this context and ledger (`key`), the earliest and latest of which
    are at `ends`, is in the ledger's span."""
    first, last = ends
    if span.first is None or span.last is None:
        return False
    if span.holds(first) or span.holds(last):
        return True
    if not first < span.first <= span.last < last:
        return False
    kind, ledger = key
    return any(
        k == kind and w == ledger and span.holds(at)
        for k, w, at in zip(a.kind, where, a.at, strict=True)
    )


def _place_each(a: RecordArrays, moved: list[int], where: list[int], spans: list[_Ledger]) -> None:
    """The responses of sessions that moved, placed as `attribution.contexts` places them."""
    by_session: dict[str, list[int]] = {}
    for i in moved:
        by_session.setdefault(a.contexts[a.kind[i]].session, []).append(i)
    ids = {i: a.rid(i) for i in moved}
    for found in by_session.values():
        found.sort(key=lambda i: (a.at[i], ids[i]))
        times, places = _timeline(a, found, ids)
        for i in found:
            span = spans[where[i]]
            if span.holds(a.at[i]):
                at = bisect_right(times, (a.at[i], ids[i]))
                span.places.add(places[max(at - 1, 0)])


def _timeline(
    a: RecordArrays, found: list[int], ids: dict[int, str]
) -> tuple[list[tuple[int, str]], list[Place]]:
    """`attribution._timeline` of a session's responses (in time order)."""
    times: list[tuple[int, str]] = []
    places: list[Place] = []
    mains = [i for i in found if a.main[a.kind[i]]]
    branches = (a.contexts[a.kind[i]].branch for i in mains)
    branch = next((b for b in branches if not is_worktree_branch(b)), "")
    for i in mains:
        c = a.contexts[a.kind[i]]
        if not is_worktree_branch(c.branch):
            branch = c.branch
        times.append((a.at[i], ids[i]))
        places.append((project_of(c.project), branch))
    return times, places
