"""Responses (`logcolumns.Responses`) keyed and summed per ledger row without an object each:
the row key's parts that vary per response (local day, prompt band) are found for all the
responses at once, then each row's counts are summed column by column.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from operator import add
from operator import mul

from tokenbook.events import Tokens
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.logcolumns import US
from tokenbook.logcolumns import Ctx
from tokenbook.logcolumns import Responses
from tokenbook.logcolumns import local_days
from tokenbook.model import PROMPT_BANDS
from tokenbook.records import EPOCH

_ASCENDING = sorted(PROMPT_BANDS)
_BAND = [0, *_ASCENDING]  # by the number of bands a prompt exceeds (`tally.band_of`)


@dataclass(slots=True)
class Combos:
    """Each response's context, local day and prompt band as one number (`of`, per slot of
    `slots`), and their times."""

    slots: list[int]
    at: list[int]
    of: list[int]
    days: list[str]

    def parts(self, combo: int) -> tuple[int, str, int]:
        """The context (kind), local day and prompt band of a combination."""
        rest, band = divmod(combo, len(_BAND))
        kind, day = divmod(rest, len(self.days))
        return kind, self.days[day], _BAND[band]


def combos(r: Responses, slots: list[int], timezone: str) -> Combos:
    at, (i, _, w5, w1, cr) = gather(r.at, slots), (gather(c, slots) for c in r.counts[:5])
    prompts = map(add, map(add, i, w5), map(add, w1, cr))
    bands = map(bisect_left, repeat(_ASCENDING), prompts)  # the number of bands exceeded
    days, texts = local_days(at, timezone)
    kind_days = map(add, map(mul, map(r.kind.__getitem__, slots), repeat(len(texts))), days)
    of = list(map(add, map(mul, kind_days, repeat(len(_BAND))), bands))
    return Combos(slots, at, of, texts)


def gather(column: list[int], slots: list[int]) -> list[int]:
    """The values of `slots` (every slot, in order, is the column itself)."""
    if len(slots) == len(column):  # slots are distinct and ascending: all of them
        return column
    return list(map(column.__getitem__, slots))


def event_key(c: Ctx, day: str, band: int) -> Key:
    """The key of the ledger row a response adds to (`grouping.event_key`)."""
    return (day, c.session, c.model, c.agent, c.speed, c.geo, band)


def runs(of: list[int], slots: list[int]) -> Iterator[tuple[int, list[int]]]:
    """The slots of each value of `of` (in the order they come), by value."""
    order = sorted(range(len(of)), key=of.__getitem__)
    values = list(map(of.__getitem__, order))
    p = 0
    while p < len(order):
        end = bisect_left(values, values[p] + 1, p)
        yield values[p], [slots[i] for i in order[p:end]]
        p = end


def counts(r: Responses, slots: list[int]) -> list[int]:
    """The sums of the counts of `slots` (`logcolumns.COUNTS`)."""
    return [sum(map(c.__getitem__, slots)) for c in r.counts]


def first_of(r: Responses, slots: list[int]) -> int:
    """The earliest of `slots` (of those at the earliest time, the least id)."""
    at, ids = r.at, r.ids
    return min(slots, key=lambda s: (at[s], ids[s]))


def key_rows(r: Responses, slots: list[int], timezone: str) -> dict[Key, LedgerRow]:
    """The responses of `slots` as ledger rows (`grouping.group_events`)."""
    c = combos(r, slots, timezone)
    by_key: dict[Key, list[int]] = {}
    for combo, found in runs(c.of, c.slots):
        kind, day, band = c.parts(combo)
        by_key.setdefault(event_key(r.contexts[kind], day, band), []).extend(found)
    return {key: row(r, key, found) for key, found in by_key.items()}


def row(r: Responses, key: Key, slots: list[int], earliest: int | None = None) -> LedgerRow:
    """The responses of `slots` (of one row key) as one row; its project and branch are those
    of the earliest (`earliest`, when it is known)."""
    at = r.at
    first = min(map(at.__getitem__, slots))
    last = max(map(at.__getitem__, slots))
    c = r.contexts[r.kind[first_of(r, slots) if earliest is None else earliest]]
    return make_row(key, counts(r, slots), len(slots), (first, last), c)


def make_row(key: Key, sums: list[int], n: int, span: tuple[int, int], c: Ctx) -> LedgerRow:
    """A row of `n` responses with the counts `sums` from `span[0]` to `span[1]` (µs), its
    project and branch from `c`."""
    day, session, model, agent, speed, geo, band = key
    i, o, w5, w1, cr, ws, wf = sums
    return LedgerRow(
        date=date.fromisoformat(day),
        session=session,
        model=model,
        agent=agent,
        speed=speed,
        geo=geo,
        prompt_over=band,
        responses=n,
        tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
        web_search=ws,
        web_fetch=wf,
        first=EPOCH + span[0] * US,
        last=EPOCH + span[1] * US,
        project=c.project,
        branch=c.branch,
    )
