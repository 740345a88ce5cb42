"""The one function that chains the stages: lock → vault → logs → attribution → ledgers → render."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tokenbook.alerts import Alert
from tokenbook.attribution import Ambiguous
from tokenbook.attribution import Attributor
from tokenbook.cache import SyncCache
from tokenbook.cache import Update
from tokenbook.cache import ledger_fingerprint
from tokenbook.cache import vault_fingerprint
from tokenbook.crossings import crossed
from tokenbook.crossings import known_alerts
from tokenbook.dashboard import cycle_notice
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.fileio import vault_lock
from tokenbook.labelling import apply_labels
from tokenbook.labelling import labels_of
from tokenbook.limits import LIMITS_FILE
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
from tokenbook.placement import touched_by
from tokenbook.pricing import PriceBook
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.render import prepare
from tokenbook.render import write_rendered
from tokenbook.sources.claude_code import Progress
from tokenbook.sources.claude_code import to_rec
from tokenbook.store import LEDGER_DIR
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.store import read_ledgers
from tokenbook.store import save_cache
from tokenbook.store import write_ledgers
from tokenbook.syncindex import own_writes
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault import load_settings
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

KINDS = ("tsv", "md")  # the files of one ledger


@dataclass(slots=True)
class SyncResult:
    files: int = 0  # log files found
    read_files: int = 0  # of which had new bytes
    bytes: int = 0  # bytes read (only new ones when the cache is there)
    responses: int = 0  # API responses the ledgers count
    new_responses: int = 0  # responses no ledger held before
    updated_responses: int = 0  # responses the new lines changed (a final streamed line...)
    moved: list[Move] = field(default_factory=list)  # usage that changed ledger
    migrated: list[str] = field(default_factory=list)  # format-1 ledgers now in format 2
    ledgers_written: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # problems first seen in this sync
    skipped_total: int = 0  # every problem known in the logs read so far
    ambiguous: list[Ambiguous] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
    new_unpriced: list[str] = field(default_factory=list)  # not reported by the last sync
    cycle_warning: str | None = None  # the latest usage day is in no cycle: what to do
    limits: list[LimitEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)  # thresholds this sync crossed
    limits_written: bool = False


def sync(
    root: Path,
    log_dirs: Sequence[Path],
    *,
    render: bool = True,
    lock_wait: float = 10.0,
    progress: Progress | None = None,
    rebuild: bool = False,
    others: Mapping[str, Sequence[Path]] | None = None,
    resolution: tuple[Any, ...] | None = None,
) -> SyncResult:
    """Count new usage from the logs into the ledgers, then render. Safe to re-run.

    Only bytes appended since the last sync are read (the cache in `.tokenbook-cache/`);
    `progress(bytes done, bytes total, files done, files total)` is called while reading.
    `rebuild`: read every log again and let the records of a session and day replace the
    migrated format-1 rows of that session and day (history whose logs are gone is kept).
    `others`: the other agents' log folders, per agent (`sources.registry`). `resolution`:
    how the command found the folders, kept for the no-op check (`noop.py`)."""
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        cache = SyncCache.load(root)
        cache.keep_resolution(resolution)
        # Taken before anything is read: a vault file changed during this sync is seen next time.
        fingerprint = vault_fingerprint(root)
        behind = ledger_fingerprint(root) != cache.index.ledgers
        update = None
        if rebuild:
            cache.forget_files()
        if not behind and not rebuild and cache.unchanged_vault(render, fingerprint):
            # Same vault as after the last sync: only new log bytes can change anything.
            update = cache.read(log_dirs, progress, others)
            if update.empty:
                index = cache.index
                cache.save(
                    ledgers=index.ledgers,
                    vault=fingerprint,
                    rendered=index.rendered,
                    unpriced=index.unpriced,
                )
                result = _result(update, unpriced=index.unpriced)
                result.responses = index.responses
                return result
        vault = load_vault(root)
        if cache.index.timezone != vault.settings.timezone:
            cache, update = SyncCache(root, vault.settings.timezone), None
            cache.keep_resolution(resolution)
        if behind and update is None:
            cache.forget_files()  # a record the ledgers lost comes back from the logs
        update = update or cache.read(log_dirs, progress, others)
        result = _result(update)
        # Ledgers changed behind our back (a merge, an edit): all are made canonical again.
        rewrite = behind or rebuild
        result.rendered = _write(root, vault, cache, update, result, (render, rewrite, rebuild))
        cache.index.responses = result.responses
        cache.save(
            ledgers=ledger_fingerprint(root),
            vault=own_writes(fingerprint, vault_fingerprint(root), written(result)),
            rendered=render,
            unpriced=result.unpriced,
        )
        return result


def written(result: SyncResult) -> set[str]:
    """The vault files (relative paths) this sync wrote or deleted."""
    paths = {f"{LEDGER_DIR}/{name}.{kind}" for name in result.ledgers_written for kind in KINDS}
    return paths | set(result.rendered) | ({LIMITS_FILE} if result.limits_written else set())


def _write(
    root: Path,
    vault: Vault,
    cache: SyncCache,
    update: Update,
    result: SyncResult,
    flags: tuple[bool, bool, bool],
) -> list[str]:
    """Join the update into the ledgers, place, write; return the rendered files. `flags`:
    render; rewrite every ledger; drop migrated rows that records cover (`--rebuild`)."""
    render, rewrite, rebuild = flags
    attributor = Attributor(vault)
    ledgers = load_ledgers(vault, attributor.explicit)
    alerted = known_alerts(cache, vault, ledgers)
    known_limits = load_limits(root)
    touched = _join(ledgers, update, result, attributor)
    if rebuild:
        touched |= _rebuild(ledgers)
    if rewrite:
        touched |= set(ledgers.files)
    moves = claim_unassigned(ledgers, attributor)
    for pair, m in move(ledgers, explicit_decider(attributor)).items():
        moves.setdefault(pair, Move(*pair)).responses += m.responses
        moves[pair].tokens += m.tokens
    result.moved = [moves[k] for k in sorted(moves)]
    touched |= touched_by(moves)
    ledgers.retally()
    result.migrated = sorted(n for n, f in ledgers.files.items() if f.migrating)
    merged = set(ledgers.files) if ledgers.duplicates() or ledgers.in_two else set()
    dropped = {rid[0] for rid in ledgers.dropped}
    names = touched | merged | dropped | set(result.migrated)
    if not all((root / LEDGER_DIR / f"{UNASSIGNED}.{kind}").exists() for kind in KINDS):
        names.add(UNASSIGNED)  # every vault has one, even empty
    # Rendered in memory first: a broken template or a symlinked target stops the sync before
    # the ledgers are written, so nothing is half-done.
    rendered = prepare(vault, ledgers) if render else None
    result.ledgers_written = write_ledgers(ledgers, names)
    save_cache(ledgers, attributor.explicit)
    result.responses = sum(p.row.responses for p in ledgers.rows.values())
    result.alerts = crossed(cache, vault, alerted, ledgers)
    result.limits_written = write_limits(root, merge_limits(known_limits, result.limits))
    result.ambiguous = sorted(attributor.ambiguous.values(), key=lambda a: a.session)
    book = PriceBook(vault)
    result.unpriced = sorted(
        {p.unpriced for p in (book.price(pl.row) for pl in ledgers.rows.values()) if p.unpriced}
    )
    result.new_unpriced = sorted(set(result.unpriced) - set(cache.index.unpriced))
    result.cycle_warning = cycle_notice(vault, ledgers)
    return write_rendered(vault, rendered) if rendered is not None else []


def _join(
    ledgers: LedgerSet, update: Update, result: SyncResult, attributor: Attributor
) -> set[str]:
    """Join the new log records (and subagent types found since) into the ledgers' records;
    place the responses no ledger held. Return the ledgers touched."""
    touched: set[str] = set()
    new: list[Rec] = []
    # A subagent's type is kept once seen: its meta file may be gone (log cleanup) when more of
    # its responses arrive (an `agent_progress` copy in the parent's file, another clone's).
    types = {
        r.ctx.agent_id: r.ctx.agent
        for _, r in ledgers.records.values()
        if r.ctx.agent_id and r.ctx.agent and not r.ctx.main
    }
    types |= update.agents
    shared: dict[tuple[object, ...], Context] = {}
    ids = update.ids
    recs = [to_rec(k, record, types, shared, ids.get(k)) for k, record in update.records.items()]
    update.records, update.ids = {}, {}  # made into `recs`: let the read's memory go
    for rec in [*recs, *update.extra]:
        known = ledgers.records.get(rec.id)
        if known is None:
            new.append(rec)
            continue
        joined = join(known[1], rec)
        if joined != known[1]:
            ledgers.place(joined, known[0])
            touched.add(known[0])
            result.updated_responses += 1
    touched |= _type_agents(ledgers, types)
    touched |= place_new(ledgers, new, attributor)
    touched |= apply_labels(ledgers, labels_of(update.read_paths))
    result.new_responses = len(new)
    return touched


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
            ledgers.place(join(rec, typed), ledger)
            touched.add(ledger)
    return touched


def _result(update: Update, unpriced: list[str] | None = None) -> SyncResult:
    return SyncResult(
        files=update.files,
        read_files=update.read_files,
        bytes=update.bytes,
        skipped=update.skipped,
        skipped_total=update.skipped_total,
        limits=update.limits,
        unpriced=unpriced or [],
    )


def check_vault(root: Path) -> tuple[Vault, LedgerSet]:
    """Load the vault and its ledgers, reporting the problems of both in one VaultError."""
    problems: list[Problem] = []
    vault = None
    try:
        vault = load_vault(root)
    except VaultError as e:
        problems.extend(e.problems)
        if not (root / SETTINGS_FILE).is_file():
            raise
    timezone = vault.settings.timezone if vault else load_settings(root, []).timezone
    problems.extend(read_ledgers(root, timezone)[1])
    if problems or vault is None:
        raise VaultError(problems)
    return vault, load_ledgers(vault, cached=False)
