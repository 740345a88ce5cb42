"""What the dashboard takes from the records besides the rows, tallied per session with them.

The dashboard's top commands and skills (`dash_extras.top_labels`, from `actions.labelled`) and
what each bet's usage bought (`outcomes.bet_usage`, from every response's place) are read from
the records. Like a row, each is a sum over one session's records at a time, so the tally keeps
them per session beside the rows (in the ledger cache too), and a sync that changes a few
sessions recomputes theirs alone (`delta.py`). Kept as plain data (tuples, lists, dicts of str
and int), so the cache stores it as it is.

Per session: the label sums (each the sum of one label, ledger, project, local day and price:
`actions.labelled`'s groups, with the first response's time, id, agent and branch so that sums
of several sessions join exactly), the places of its responses that a row counts (per ledger),
and the places and times of those that none does (a replayed message, a migrated row's).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from tokenbook.attribution import Place
from tokenbook.events import Tokens
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.records import EPOCH
from tokenbook.records import Rec

KINDS = ("command", "skill")  # the labels the dashboard shows
# kind, label, ledger, project, day, model, speed, region, prompt band, web search used
Group = tuple[str, str, str, str, str, str, str, str, int, bool]
# responses, 5 token counts, web searches, web fetches, first (µs, id, agent, branch), last µs
Sums = list[Any]
# per session: label sums; (ledger, project, branch) of counted responses; of the others with µs
Derived = tuple[dict[Group, Sums], list[tuple[str, str, str]], list[tuple[str, str, str, int]]]
DERIVED_PARTS = 3
DERIVED_SHAPE = ("derived", 1)  # change it with the shapes above
_US = timedelta(microseconds=1)


def derive(
    records: Iterable[tuple[str, Rec]],
    keyed: Iterable[tuple[Key, Rec, bool, bool]],
    places: Mapping[str, Place],
) -> dict[str, Derived]:
    """Per session, from `records` (ledger, record: every one) and `keyed` (each counted
    record's row key, the record, whether a row sums it and whether `actions.labelled` does)."""
    out: dict[str, Derived] = {}
    summed: set[str] = set()
    ledger_of = {r.id: ledger for ledger, r in records}
    for key, r, in_row, in_labels in keyed:
        if in_row:
            summed.add(r.id)
        if in_labels and (r.ctx.command or r.ctx.skill):
            labels = _of(out, r.ctx.session)[0]
            for kind, label in (("command", r.ctx.command), ("skill", r.ctx.skill)):
                if label:
                    _add(labels, _group(kind, label, ledger_of[r.id], key, r, places), r, places)
    counted: dict[str, set[tuple[str, str, str]]] = {}
    for ledger, r in records:
        project, branch = places[r.id]
        if r.id in summed:
            counted.setdefault(r.ctx.session, set()).add((ledger, project, branch))
        else:
            at = (r.at - EPOCH) // _US
            _of(out, r.ctx.session)[2].append((ledger, project, branch, at))
    for session, found in counted.items():
        _of(out, session)[1].extend(sorted(found))
    for _, _, others in out.values():
        others.sort()
    return out


def _of(out: dict[str, Derived], session: str) -> Derived:
    found = out.get(session)
    if found is None:
        found = out[session] = ({}, [], [])
    return found


def _group(
    kind: str, label: str, ledger: str, key: Key, r: Rec, places: Mapping[str, Place]
) -> Group:
    c = r.ctx
    return (
        kind,
        label,
        ledger,
        places[r.id][0],
        key[0],
        c.model,
        c.speed,
        c.geo,
        key[6],
        r.web_search > 0,
    )


def _add(labels: dict[Group, Sums], group: Group, r: Rec, places: Mapping[str, Place]) -> None:
    t, at = r.tokens, (r.at - EPOCH) // _US
    s = labels.get(group)
    if s is None:
        labels[group] = [
            1,
            t.input,
            t.output,
            t.cache_write_5m,
            t.cache_write_1h,
            t.cache_read,
            r.web_search,
            r.web_fetch,
            at,
            r.id,
            r.ctx.label,
            places[r.id][1],
            at,
        ]
        return
    s[0] += 1
    s[1] += t.input
    s[2] += t.output
    s[3] += t.cache_write_5m
    s[4] += t.cache_write_1h
    s[5] += t.cache_read
    s[6] += r.web_search
    s[7] += r.web_fetch
    if (at, r.id) < (s[8], s[9]):
        s[8], s[9], s[10], s[11] = at, r.id, r.ctx.label, places[r.id][1]
    s[12] = max(s[12], at)


def label_rows(derived: Mapping[str, Derived], kind: str) -> list[tuple[str, LedgerRow, str]]:
    """`actions.labelled(ledgers, kind)` of the responses with a `kind` label, as (label,
    summed row, ledger), in the order of their first response by ledger, time and id."""
    joined: dict[Group, tuple[Sums, str]] = {}
    for session, (labels, _, _) in derived.items():
        for group, s in labels.items():
            if group[0] != kind:
                continue
            known = joined.get(group)
            if known is None:
                joined[group] = (list(s), session)
                continue
            j = known[0]
            for i in range(8):
                j[i] += s[i]
            if (s[8], s[9]) < (j[8], j[9]):
                j[8:12] = s[8:12]
                joined[group] = (j, session)
            j[12] = max(j[12], s[12])
    order = sorted(joined.items(), key=lambda kv: (kv[0][2], kv[1][0][8], kv[1][0][9]))
    return [(g[1], _row(g, s, session), g[2]) for g, (s, session) in order]


def _row(g: Group, s: Sums, session: str) -> LedgerRow:
    return LedgerRow(
        date=date.fromisoformat(g[4]),
        session=session,
        model=g[5],
        agent=s[10],
        speed=g[6],
        geo=g[7],
        prompt_over=g[8],
        responses=s[0],
        tokens=Tokens(
            input=s[1], output=s[2], cache_write_5m=s[3], cache_write_1h=s[4], cache_read=s[5]
        ),
        web_search=s[6],
        web_fetch=s[7],
        first=_time(s[8]),
        last=_time(s[12]),
        project=g[3],
        branch=s[11],
    )


def _time(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)
