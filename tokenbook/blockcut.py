"""The usage of `report blocks` cut into 5-hour blocks: the responses the logs hold (as columns,
`logcolumns.Responses`) and the ledger rows they no longer cover, without an object per
response; `blocks.build_blocks` prices what this returns.

A response counts under its ledger row's key without the subagent's type (`tally.history_key`:
the ledgers may know a type from a spawning call the logs here do not). A ledger row is covered
when the logs hold at least as many responses of its key: then those responses count, each at
its time. Usage the logs hold but no ledger has yet (not synced) goes to the bet sync would give
it. A row the logs do not cover counts whole at its first time (estimated). Inside a block, the
responses of one key are summed into one row, whose project and branch are those of the key's
first response (as the ledgers say).
"""

from __future__ import annotations

from bisect import bisect_left
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from itertools import compress
from itertools import repeat
from operator import add
from operator import mul
from operator import sub

from tokenbook.attribution import Attributor
from tokenbook.blocks import HOURS
from tokenbook.blocks import Cut
from tokenbook.blocks import Rows
from tokenbook.colsums import combos
from tokenbook.colsums import event_key
from tokenbook.colsums import make_row
from tokenbook.ledger import Key
from tokenbook.logcolumns import HOUR
from tokenbook.logcolumns import US
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import us
from tokenbook.records import EPOCH
from tokenbook.store import LedgerSet
from tokenbook.tally import history_key

LENGTH = HOURS * HOUR


@dataclass(slots=True)
class _Keyed:
    """The responses that count (`slots`), their times, and each one's row key as an index
    into `keys`."""

    slots: list[int]
    at: list[int]
    of: list[int]
    keys: list[Key]


def _keyed(r: Responses, timezone: str) -> _Keyed:
    c = combos(r, r.slots, timezone)
    index: dict[Key, int] = {}
    number = {}
    for combo in set(c.of):
        kind, day, band = c.parts(combo)
        key = history_key(event_key(r.contexts[kind], day, band))
        number[combo] = index.setdefault(key, len(index))
    return _Keyed(c.slots, c.at, list(map(number.__getitem__, c.of)), list(index))


def _held(ledgers: LedgerSet) -> dict[Key, tuple[int, str]]:
    """Responses the ledgers hold per key (`history_key`), and the first ledger holding it."""
    held: dict[Key, tuple[int, str]] = {}
    for (name, key), placed in sorted(ledgers.rows.items()):
        n, where = held.get(history_key(key), (0, name))
        held[history_key(key)] = (n + placed.row.responses, where)
    return held


def _ledgers(keyed: _Keyed, ledgers: LedgerSet) -> dict[int, str | None]:
    """The keys whose responses count, and the ledger of each (None: not synced yet, it goes
    to the bet sync would give it)."""
    held = _held(ledgers)
    counts = Counter(keyed.of)
    out: dict[int, str | None] = {}
    for k, key in enumerate(keyed.keys):
        known = held.get(key)
        if known is None:
            out[k] = None
        elif counts[k] >= known[0]:
            out[k] = known[1]
    return out


def _starts(times: list[int], estimated: list[int]) -> list[int]:
    """Block starts (µs): a block starts at the hour of the first usage at or after the end
    of the one before."""
    starts: list[int] = []
    i = j = 0
    while i < len(times) or j < len(estimated):
        first = min(times[i : i + 1] + estimated[j : j + 1])
        start = first - first % HOUR
        starts.append(start)
        i = bisect_left(times, start + LENGTH, i)
        j = bisect_left(estimated, start + LENGTH, j)
    return starts


@dataclass(slots=True)
class _Part:
    """The responses of one key in one block: `order[lo:hi]` of `_Parts`, in time order."""

    block: int
    key: int
    lo: int
    hi: int


@dataclass(slots=True)
class _Parts:
    """The counted responses sorted by key and time (`order`, slots), cut where blocks end,
    and each count's running sum in that order (a part's sum is a difference of two)."""

    order: list[int]
    parts: list[_Part]
    sums: list[list[int]]

    def counts(self, part: _Part) -> list[int]:
        return [s[part.hi] - s[part.lo] for s in self.sums]


def _parts(
    keyed: _Keyed, counted: dict[int, str | None], starts: list[int], r: Responses
) -> _Parts:
    """The responses of the counted keys, per block and key: sorted by key and time, each
    key's run split where blocks end."""
    positions = list(compress(range(len(keyed.of)), map(counted.__contains__, keyed.of)))
    low = min(keyed.at, default=0)
    span = max(keyed.at, default=0) - low + 1
    rank = list(map(add, map(mul, keyed.of, repeat(span)), map(sub, keyed.at, repeat(low))))
    positions.sort(key=rank.__getitem__)
    ranks = list(map(rank.__getitem__, positions))
    order = list(map(keyed.slots.__getitem__, positions))
    parts = []
    p = 0
    while p < len(positions):
        k = keyed.of[positions[p]]
        block = bisect_right(starts, keyed.at[positions[p]]) - 1
        end = bisect_left(ranks, k * span + starts[block] + LENGTH - low, p)
        end = min(end, bisect_left(ranks, (k + 1) * span, p))
        parts.append(_Part(block, k, p, end))
        p = end
    sums = [[0, *accumulate(map(c.__getitem__, order))] for c in r.counts]
    return _Parts(order, parts, sums)


def cut(r: Responses, ledgers: LedgerSet, attributor: Attributor) -> Cut:
    """Blocks in time order, each with its usage as rows: estimated ledger rows as they are,
    responses summed per ledger key (cost is linear in tokens, so each sum is priced once)."""
    keyed = _keyed(r, ledgers.timezone)
    counted = _ledgers(keyed, ledgers)
    covered = {keyed.keys[k] for k in counted}
    estimated = sorted(
        (
            (us(p.row.first), p.ledger, p.row)
            for (_, key), p in ledgers.rows.items()
            if history_key(key) not in covered
        ),
        key=lambda e: e[0],
    )
    times = sorted(compress(keyed.at, map(counted.__contains__, keyed.of)))
    starts = _starts(times, [e[0] for e in estimated])
    blocks: list[Rows] = [[] for _ in starts]
    for first, name, estimate in estimated:
        blocks[bisect_right(starts, first) - 1].append((name, estimate, False))
    found = _parts(keyed, counted, starts, r)
    firsts = _firsts(found, r)
    for part in found.parts:
        c = r.contexts[r.kind[firsts[part.key]]]
        span = (r.at[found.order[part.lo]], r.at[found.order[part.hi - 1]])
        key = keyed.keys[part.key]
        row = make_row(key, found.counts(part), part.hi - part.lo, span, c)
        ledger = counted[part.key]
        if ledger is None:
            ledger = counted[part.key] = attributor.bet_for(
                c.session, row.date, c.project, c.branch
            )
        blocks[part.block].append((ledger, row, True))
    return [(EPOCH + start * US, rows) for start, rows in zip(starts, blocks, strict=True)]


def _firsts(found: _Parts, r: Responses) -> dict[int, int]:
    """Each key's first response (of those at its earliest time, the least id)."""
    out: dict[int, int] = {}
    at, ids, order = r.at, r.ids, found.order
    for part in found.parts:
        if part.key in out:
            continue
        first = order[part.lo]
        for s in order[part.lo + 1 : part.hi]:
            if at[s] != at[first]:
                break
            if ids[s] < ids[first]:
                first = s
        out[part.key] = first
    return out
