"""The ledger side of a sync: join what the logs hold into the records, place and tally them,
write the ledgers that changed, render.

A sync that changes a few sessions does this for their records alone (`delta.py`): with the
same functions, on a part of the ledger set, when the vault and the ledgers are as the last sync
left them. Otherwise every record takes part (the first sync, a merge, an edited vault).
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokenbook import delta
from tokenbook.attribution import Ambiguous
from tokenbook.attribution import Attributor
from tokenbook.cache import SyncCache
from tokenbook.cache import Update
from tokenbook.crossings import crossed
from tokenbook.crossings import known_alerts
from tokenbook.dashboard import cycle_notice
from tokenbook.labelling import apply_labels
from tokenbook.labelling import labels_of
from tokenbook.ledger import LedgerRow
from tokenbook.ledgerfiles import LEDGER_DIR
from tokenbook.ledgerwrite import RecordsText
from tokenbook.ledgerwrite import write_ledgers
from tokenbook.limits import load_limits
from tokenbook.limits import merge_limits
from tokenbook.limits import write_limits
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.placement import Move
from tokenbook.placement import claim_unassigned
from tokenbook.placement import explicit_decider
from tokenbook.placement import move
from tokenbook.placement import place_new
from tokenbook.placement import standing
from tokenbook.placement import touched_by
from tokenbook.pricing import book_for
from tokenbook.recordfile import format_records
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.render import prepare
from tokenbook.render import write_rendered
from tokenbook.sources.claude_code import to_rec
from tokenbook.sources.claude_resolve import Resolved
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.store import save_cache
from tokenbook.tally import Placed
from tokenbook.tally import RowId

if TYPE_CHECKING:
    from tokenbook.syncresult import SyncResult

KINDS = ("tsv", "md")  # the files of one ledger


def write(
    vault: Vault,
    cache: SyncCache,
    update: Update,
    result: SyncResult,
    flags: tuple[bool, bool, bool, bool],
) -> list[str]:
    """Join the update into the ledgers, place, write; return the rendered files. `flags`:
    render; rewrite every ledger; drop migrated rows that records cover (`--rebuild`); the
    vault is as the last sync left it."""
    # What is loaded by then (the modules, the vault, the ledgers) lives to the end of the
    # sync: the cyclic collector need not walk it again at each collection (0.04-0.07 s of a
    # +1 sync at 400 MB); given back to it afterwards (a process that syncs again collects it).
    try:
        return _write(vault, cache, update, result, flags)
    finally:
        gc.unfreeze()


def _write(
    vault: Vault,
    cache: SyncCache,
    update: Update,
    result: SyncResult,
    flags: tuple[bool, bool, bool, bool],
) -> list[str]:
    render, rewrite, _, _ = flags
    root = vault.root
    attributor = Attributor(vault)
    ledgers = load_ledgers(vault, attributor.explicit)
    gc.freeze()
    alerted = known_alerts(cache, vault, ledgers)
    known_limits = load_limits(root)
    touched, d = _place(ledgers, cache, update, result, attributor, flags)
    if rewrite:
        touched |= set(ledgers.files)
    result.migrated = sorted(n for n, f in ledgers.files.items() if f.migrating)
    merged = set(ledgers.files) if ledgers.duplicates() or ledgers.in_two else set()
    dropped = {rid[0] for rid in ledgers.dropped}
    names = touched | merged | dropped | set(result.migrated)
    if not all((root / LEDGER_DIR / f"{UNASSIGNED}.{kind}").exists() for kind in KINDS):
        names.add(UNASSIGNED)  # every vault has one, even empty
    # Rendered in memory first: a broken template or a symlinked target stops the sync before
    # the ledgers are written, so nothing is half-done.
    rendered = prepare(vault, ledgers) if render else None
    result.ledgers_written = write_ledgers(ledgers, names, _spliced(d, ledgers) if d else None)
    save_cache(ledgers, attributor.explicit)
    result.responses = sum(p.row.responses for p in ledgers.rows.values())
    result.alerts = crossed(cache, vault, alerted, ledgers)
    result.limits_written = write_limits(root, merge_limits(known_limits, result.limits))
    book = book_for(vault)  # the dashboard's: every row priced once
    result.unpriced = sorted(
        {p.unpriced for p in (book.price(pl.row) for pl in ledgers.rows.values()) if p.unpriced}
    )
    result.new_unpriced = sorted(set(result.unpriced) - set(cache.index.unpriced))
    result.cycle_warning = cycle_notice(vault, ledgers)
    return write_rendered(vault, rendered) if rendered is not None else []


def _place(
    ledgers: LedgerSet,
    cache: SyncCache,
    update: Update,
    result: SyncResult,
    attributor: Attributor,
    flags: tuple[bool, bool, bool, bool],
) -> tuple[set[str], delta.Delta | None]:
    """Join, place and tally: the records of the sessions the update changes alone (a part)
    when the last sync's state allows, else every record. Return the ledgers touched or whose
    rows changed, and the part."""
    _, rewrite, rebuild, same_vault = flags
    partial = same_vault and not (rewrite or rebuild) and cache.index.standing is not None
    cols = delta.columns_of(ledgers) if partial else None
    types = (cols.agent_types() if cols is not None else known_types(ledgers)) | update.agents
    ids = update.ids
    incoming = _incoming(update, types)
    labels = labels_of(update.read_paths)
    work, d = ledgers, None
    if cols is not None:
        d = delta.open_part(ledgers, cols, delta.scope(cols, incoming, types, (labels, ids)))
        work, index = d.part, cols.index()
        incoming = [r for r in incoming if r.id in work.records or r.id not in index]
    before = ledgers.rows
    touched = place_and_tally(work, (incoming, types, labels, ids), result, attributor, rebuild)
    del incoming, labels, ids  # joined into the records: let them go
    changed = delta.absorb(ledgers, d) if d is not None else rows_changed(before, ledgers.rows)
    _ambiguity(cache, work, attributor, result, d.sessions if d is not None else None)
    return touched | changed, d


def place_and_tally(
    ledgers: LedgerSet,
    found: tuple[list[Rec], dict[str, str], dict[str, Resolved], dict[str, str]],
    result: SyncResult,
    attributor: Attributor,
    rebuild: bool = False,
) -> set[str]:
    """Join what the logs hold (records, subagent types, labels; the record ids of log keys)
    into the records, place the new responses, (`rebuild`: drop the migrated rows records
    cover,) re-claim `unassigned`, move what `sessions:` lists name, tally. Return the ledgers
    touched."""
    incoming, types, labels, ids = found
    touched, new = _join(ledgers, incoming, result)
    touched |= place_new(ledgers, new, attributor)
    touched |= apply_labels(ledgers, labels, ids)
    # One pass types every response of a subagent with what is known of it by now: its meta
    # file (written after some of its responses), or the labels of some of its responses
    # (their spawning call); not at the next sync.
    touched |= _type_agents(ledgers, _joined_types(types, known_types(ledgers)))
    result.new_responses = len(new)
    if rebuild:
        touched |= _rebuild(ledgers)
    moves = claim_unassigned(ledgers, attributor)
    for pair, m in move(ledgers, explicit_decider(attributor)).items():
        moves.setdefault(pair, Move(*pair)).responses += m.responses
        moves[pair].tokens += m.tokens
    result.moved = [moves[k] for k in sorted(moves)]
    touched |= touched_by(moves)
    ledgers.retally()
    return touched


def known_types(ledgers: LedgerSet) -> dict[str, str]:
    """A subagent's type is kept once seen: its meta file may be gone (log cleanup) when more
    of its responses arrive (an `agent_progress` copy in the parent's file, another clone's)."""
    return {
        r.ctx.agent_id: r.ctx.agent
        for _, r in ledgers.records.values()
        if r.ctx.agent_id and r.ctx.agent and not r.ctx.main
    }


def _joined_types(a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
    """Two views of subagent types joined as records join them (the larger of two)."""
    return {agent: max(a.get(agent, ""), b.get(agent, "")) for agent in a.keys() | b.keys()}


def _incoming(update: Update, types: dict[str, str]) -> list[Rec]:
    """The log records read, as ledger records (the other agents' after Claude Code's)."""
    shared: dict[tuple[object, ...], Context] = {}
    records, ids = update.records, update.ids
    update.records, update.ids = {}, {}
    recs = []
    while records:  # each read record let go as it is made into a ledger record (peak memory)
        k, record = records.popitem()
        recs.append(to_rec(k, record, types, shared, ids.pop(k, None)))
    recs.reverse()  # in the read's order
    return [*recs, *update.extra]


def _join(
    ledgers: LedgerSet, incoming: list[Rec], result: SyncResult
) -> tuple[set[str], list[Rec]]:
    """Join the records into the ledgers' records; return the ledgers touched and the records
    no ledger holds yet."""
    touched: set[str] = set()
    new: list[Rec] = []
    for rec in incoming:
        known = ledgers.records.get(rec.id)
        if known is None:
            new.append(rec)
            continue
        joined = join(known[1], rec)
        if joined != known[1]:
            ledgers.place(joined, known[0])
            touched.add(known[0])
            result.updated_responses += 1
    return touched, new


def _rebuild(ledgers: LedgerSet) -> set[str]:
    """Drop the migrated rows of every session and day the records cover."""
    tz = ZoneInfo(ledgers.timezone)
    covered = {(r.ctx.session, r.at.astimezone(tz).date()) for _, r in ledgers.records.values()}
    gone = [rid for rid, row in ledgers.legacy.items() if (row.session, row.date) in covered]
    for rid in gone:
        del ledgers.legacy[rid]
    return {rid[0] for rid in gone}


def _type_agents(ledgers: LedgerSet, agents: dict[str, str]) -> set[str]:
    """Subagent responses whose type a meta file now names (it may be written after them)."""
    touched: set[str] = set()
    if not agents:
        return touched
    for ledger, rec in list(ledgers.records.values()):
        c = rec.ctx
        if not c.main and c.agent_id in agents and agents[c.agent_id] > c.agent:
            typed = replace(rec, ctx=replace(c, agent=agents[c.agent_id]))
            ledgers.relabel(join(rec, typed), ledger)
            touched.add(ledger)
    return touched


def rows_changed(before: dict[RowId, Placed], after: dict[RowId, Placed]) -> set[str]:
    """The ledgers whose rows differ (a record in one ledger can change another's rows: the
    place of a later response of its session, whether a replayed message counts)."""
    if before is after:
        return set()
    out = {rid[0] for rid in before.keys() ^ after.keys()}
    return out | {rid[0] for rid, p in after.items() if rid in before and before[rid] != p}


def _ambiguity(
    cache: SyncCache,
    work: LedgerSet,
    attributor: Attributor,
    result: SyncResult,
    sessions: set[str] | None,
) -> None:
    """What sync reports as ambiguous, and what the next sync will (`placement.standing`):
    the sessions `work` holds are asked now; the others (a part) stand as they stood."""
    known = cache.index.standing or {}
    found = standing(work, attributor, set(attributor.ambiguous))
    kept = {s: a for s, a in known.items() if sessions is not None and s not in sessions}
    cache.index.standing = dict(sorted((kept | found).items()))
    cache.dirty = True
    asked = dict(attributor.ambiguous)
    asked |= {s: Ambiguous(s, *a) for s, a in kept.items()}
    result.ambiguous = sorted(asked.values(), key=lambda a: a.session)


def _spliced(d: delta.Delta, ledgers: LedgerSet) -> RecordsText:
    """Each touched ledger's records file, spliced from the file as it was; formatted from
    all its records when that file is not as the last sync left it."""

    def text(name: str, legacy: list[LedgerRow]) -> str:
        path = ledgers.root / LEDGER_DIR / f"{name}.tsv"
        try:
            old: str | None = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        spliced = delta.records_text(d, old, name, legacy)
        if spliced is not None:
            return spliced
        return format_records([r for n, r in ledgers.records.values() if n == name], legacy)

    return text
