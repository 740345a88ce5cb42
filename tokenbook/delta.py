"""A sync that changes a few sessions, done in proportion to them (the common sync: one after
every session).

Everything a sync derives from the records is a matter of one session at a time, except which
responses count: a ledger row is keyed by its session, a response's place is where its session's
main thread was working (`attribution.contexts`), placement asks per session, day and place, and
a migrated row stands for one session's responses; only the rule that a sidechain response whose
message was also answered on the main thread does not count (`tally.counted`) looks across
sessions, at the records of one message. So the records of a set of sessions that holds every
record of each of their messages are joined, placed and tallied among themselves exactly as
among all records, with the same functions (`sync.place_and_tally`): a `part` of the ledger set.

`scope` finds the sessions a sync changes, from the cache's columns without making the other
records; `open_part` makes their records; `absorb` puts the part's records and rows back in
place of the old ones (the columns patched in order, `colpatch.py`), and `records_text` splices
the changed records into a ledger's records file as it was.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from tokenbook import colpatch
from tokenbook.labelling import label_id
from tokenbook.labelling import labelled
from tokenbook.ledger import LedgerRow
from tokenbook.reccolumns import Columns
from tokenbook.recordfile import context_line
from tokenbook.recordfile import escape
from tokenbook.recordfile import legacy_line
from tokenbook.recordfile import record_line
from tokenbook.records import HEADER
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.records import message_of
from tokenbook.sources.claude_resolve import Resolved
from tokenbook.store import LedgerSet
from tokenbook.tally import Placed
from tokenbook.tally import RowId


@dataclass(slots=True)
class Delta:
    """The sessions a sync changes, their records and rows as they were, and the part."""

    sessions: set[str]
    before: Columns
    removed: list[int]  # the positions of the sessions' records in `before`
    part: LedgerSet
    rows: dict[RowId, Placed]  # the rows of every session, before


def columns_of(ledgers: LedgerSet) -> Columns | None:
    """The records as columns a part can be taken from: as the last sync wrote them (in
    canonical order, its files canonical), nothing read twice, nothing migrating."""
    found = ledgers.cached
    if found is None or not found.written or ledgers.columns() is None:
        return None
    if ledgers.in_two or ledgers.merged or ledgers.dropped:
        return None
    if any(f.migrating for f in ledgers.files.values()):
        return None
    return ledgers.columns()


def scope(
    cols: Columns,
    incoming: list[Rec],
    agents: dict[str, str],
    found: tuple[dict[str, Resolved], dict[str, str]],
) -> set[str]:
    """The sessions whose records this sync changes (new responses, changed ones, subagent
    types and labels found since; `found`: the labels and the record ids of log keys), with
    every session that shares a message with them."""
    labels, ids = found
    index = cols.index()
    sessions: set[str] = set()
    for rec in incoming:
        i = index.get(rec.id)
        if i is None:
            sessions.add(rec.ctx.session)
            continue
        known = cols.rec(i)
        joined = join(known, rec)
        if joined != known:
            sessions |= {known.ctx.session, joined.ctx.session}
    sessions |= cols.retyped_sessions(agents)
    for key, res in labels.items():
        i = index.get(ids.get(key) or label_id(key))
        if i is not None and cols.session(i) not in sessions:
            known = cols.rec(i)
            if labelled(known, res) != known:
                sessions.add(known.ctx.session)
    return _closed(cols, sessions, {message_of(r.id) for r in incoming if r.id not in index})


def _closed(cols: Columns, sessions: set[str], messages: set[str]) -> set[str]:
    """`sessions` and every session holding a record of a message theirs (or `messages`)
    hold."""
    todo = set(sessions)
    while todo:
        messages |= {message_of(cols.rid(i)) for i in cols.positions(todo)}
        todo = cols.message_sessions(messages) - sessions
        sessions |= todo
    return sessions


def open_part(ledgers: LedgerSet, cols: Columns, sessions: set[str]) -> Delta:
    """The ledger set of `sessions` alone: their records (in the order of all records) and
    migrated rows; the same ledger files."""
    removed = cols.positions(sessions)
    records = {cols.rid(i): (cols.ledger(i), cols.rec(i)) for i in removed}
    legacy = {rid: row for rid, row in ledgers.legacy.items() if rid[1][1] in sessions}
    part = LedgerSet(ledgers.root, ledgers.timezone, ledgers.files, records, legacy)
    return Delta(sessions, cols, removed, part, ledgers.rows)


def absorb(ledgers: LedgerSet, d: Delta) -> set[str]:
    """Put the part's records, migrated rows and rows in place of the sessions' old ones;
    return the ledgers whose rows changed."""
    part, sessions = d.part, d.sessions
    ledgers.set_columns(colpatch.replace(d.before, d.removed, list(part.records.values())))
    legacy = {rid: row for rid, row in ledgers.legacy.items() if rid[1][1] not in sessions}
    ledgers.legacy = dict(sorted((legacy | part.legacy).items()))
    ledgers.dropped |= part.dropped
    kept = {rid: p for rid, p in d.rows.items() if rid[1][1] not in sessions}
    ledgers.rows = dict(sorted((kept | part.rows).items()))
    derived = {s: v for s, v in ledgers.derived.items() if s not in sessions}
    ledgers.derived = derived | part.derived
    before = {rid: p for rid, p in d.rows.items() if rid[1][1] in sessions}
    return {rid[0] for rid in before.keys() ^ part.rows.keys()} | {
        rid[0] for rid, p in part.rows.items() if rid in before and before[rid] != p
    }


def records_text(d: Delta, old: str | None, name: str, legacy: list[LedgerRow]) -> str | None:
    """The records file of ledger `name` after the sync (`recordfile.format_records` of all
    its records), from the file as it was: the sessions' lines cut out, the part's put in
    order. None when the file is not as the last sync wrote it."""
    if old is None and name not in d.before.ledgers:
        old = HEADER + "\n"  # a new ledger
    if old is None or not old.startswith(HEADER + "\n") or not old.endswith("\n"):
        return None
    lines = old[len(HEADER) + 1 : -1].split("\n") if len(old) > len(HEADER) + 1 else []
    c_end = _block_end(lines, 0, "c\t")
    r_start = _block_end(lines, c_end, "l\t")
    was = d.before.ledgers.index(name) if name in d.before.ledgers else -1
    if len(lines) - r_start != (d.before.where.count(was) if was >= 0 else 0):
        return None
    recs = sorted((r for n, r in d.part.records.values() if n == name), key=_order)
    cids: dict[Context, str] = {}
    for r in recs:
        if r.ctx not in cids:
            cids[r.ctx] = r.ctx.cid
    named = {escape(s) for s in d.sessions}
    contexts = [ln for ln in lines[:c_end] if ln.split("\t", 4)[3] not in named]
    contexts = sorted(contexts + [context_line(c, cid) for c, cid in cids.items()])
    gone = {d.before.rid(i) for i in d.removed if d.before.where[i] == was}
    kept = [ln for ln in lines[r_start:] if ln[2:26] not in gone] if gone else lines[r_start:]
    history = [legacy_line(row) for row in sorted(legacy, key=lambda r: r.key)]
    body = _merged(kept, [record_line(r, cids[r.ctx]) for r in recs])
    return "\n".join([HEADER, *contexts, *history, *body]) + "\n"


def _order(r: Rec) -> tuple[object, str]:
    return (r.at, r.id)


def _block_end(lines: list[str], start: int, prefix: str) -> int:
    i = start
    while i < len(lines) and lines[i].startswith(prefix):
        i += 1
    return i


def _line_key(line: str) -> tuple[str, str]:
    """A record line's order: its time (fixed width, in ms: as its time), then its id."""
    return (line[40:64], line[2:26])


def _merged(kept: list[str], new: Iterable[str]) -> list[str]:
    """Two lists of record lines in order as one (the new ones are few)."""
    out: list[str] = []
    start = 0
    for line in new:
        at = bisect.bisect_left(kept, _line_key(line), lo=start, key=_line_key)
        out += kept[start:at]
        out.append(line)
        start = at
    return out + kept[start:]
