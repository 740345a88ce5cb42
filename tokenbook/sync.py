"""The one function that chains the stages: lock → vault → logs → attribution → ledgers → render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tokenbook.alerts import Alert
from tokenbook.alerts import active_alerts
from tokenbook.alerts import new_alerts
from tokenbook.attribution import Ambiguous
from tokenbook.attribution import Attributor
from tokenbook.cache import SyncCache
from tokenbook.cache import Update
from tokenbook.cache import ledger_fingerprint
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.fileio import vault_lock
from tokenbook.ledger import Key
from tokenbook.limits import load_limits
from tokenbook.limits import merge_limits
from tokenbook.limits import write_limits
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.render import render_all
from tokenbook.sources.claude_code import Progress
from tokenbook.store import Groups
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.store import better
from tokenbook.store import load_ledgers
from tokenbook.store import read_ledgers
from tokenbook.store import write_ledgers
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault import load_settings
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault


@dataclass(slots=True)
class SyncResult:
    files: int = 0  # log files found
    read_files: int = 0  # of which had new bytes
    bytes: int = 0  # bytes read (only new ones when the cache is there)
    responses: int = 0  # API responses counted in all logs ever read
    new_rows: int = 0
    updated_rows: int = 0
    moved_rows: int = 0
    ledgers_written: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
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
) -> SyncResult:
    """Count new usage from the logs into the ledgers, then render. Safe to re-run.

    Only bytes appended since the last sync are read (the cache in `.tokenbook-cache/`);
    `progress(bytes done, bytes total, files done, files total)` is called while reading."""
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        cache = SyncCache.load(root)
        quick = None
        if cache.unchanged_vault(render):
            # Same vault as after the last sync: only new log bytes can change anything.
            quick = cache.update(log_dirs, progress)
            if not quick.groups and not quick.limits_changed:
                index = cache.index
                cache.save(ledgers=index.ledgers, rendered=index.rendered, unpriced=index.unpriced)
                return _result(quick, unpriced=cache.index.unpriced)
        vault = load_vault(root)
        attributor = Attributor(vault)
        ledgers = load_ledgers(vault, attributor.explicit)
        alerted = active_alerts(vault, ledgers)  # before: derived from the ledgers, not stored
        known_limits = load_limits(root)
        if cache.index.timezone != vault.settings.timezone:
            cache, quick = SyncCache(root, vault.settings.timezone), None
        changed_behind = ledger_fingerprint(root) != cache.index.ledgers
        update = quick or cache.update(log_dirs, progress, regroup_all=changed_behind)
        result = _result(update)
        touched = _merge(ledgers, update.groups, attributor, result, update.before)
        touched |= _drop_emptied(ledgers, update.groups, update.before, result)
        touched |= _apply_explicit(ledgers, attributor, result)
        # Every ledger is re-formatted when they changed since the last sync wrote them (a
        # union-merged file becomes canonical again); else only the touched ones need it.
        # An unchanged file is not written (write_if_changed compares bytes).
        canonical = not changed_behind and UNASSIGNED in ledgers.files
        names = touched if canonical else touched | set(ledgers.files) | {UNASSIGNED}
        result.ledgers_written = write_ledgers(ledgers, names)
        result.alerts = new_alerts(alerted, active_alerts(vault, ledgers))
        result.limits_written = write_limits(root, merge_limits(known_limits, result.limits))
        result.ambiguous = sorted(attributor.ambiguous.values(), key=lambda a: a.session)
        book = PriceBook(vault)
        result.unpriced = sorted(
            {p.unpriced for p in (book.price(pl.row) for pl in ledgers.rows.values()) if p.unpriced}
        )
        if render:
            result.rendered = render_all(vault, ledgers)
        # After the ledgers (a crash in between only means the new bytes are read again).
        cache.save(ledgers=ledger_fingerprint(root), rendered=render, unpriced=result.unpriced)
        return result


def _result(update: Update, unpriced: list[str] | None = None) -> SyncResult:
    return SyncResult(
        files=update.files,
        read_files=update.read_files,
        bytes=update.bytes,
        responses=update.responses,
        skipped=update.skipped,
        limits=update.limits,
        unpriced=unpriced or [],
    )


def _merge(
    ledgers: LedgerSet,
    groups: Groups,
    attributor: Attributor,
    result: SyncResult,
    before: dict[Key, int] | None = None,
) -> set[str]:
    """Put the recomputed rows into the ledgers: new keys where attribution says; known keys
    replaced by the later snapshot, or by a row with fewer responses when responses moved to
    another row and the cache knew every response the ledger row held (so nothing is lost)."""
    before = before or {}
    touched: set[str] = set()
    for key, group in sorted(groups.items()):
        row, first = group.row, group.first_event
        known = ledgers.rows.get(key)
        if known is None:
            bet = attributor.bet_for(row.session, row.date, first.project, first.branch)
            ledgers.rows[key] = Placed(bet, row)
            touched.add(bet)
            result.new_rows += 1
            continue
        if row.responses < known.row.responses == before.get(key):
            winner = Placed(known.ledger, row)  # responses moved out; the cache held all of it
        else:
            winner = better(known, Placed(known.ledger, row))
        if winner.row != known.row:
            ledgers.rows[key] = winner
            touched.add(known.ledger)
            result.updated_rows += 1
    return touched


def _drop_emptied(
    ledgers: LedgerSet, groups: Groups, before: dict[Key, int], result: SyncResult
) -> set[str]:
    """Remove the rows all of whose responses moved to other rows (only when the ledger row
    holds exactly the responses the cache knew: history the cache never saw is never dropped)."""
    touched: set[str] = set()
    for key, held in before.items():
        known = ledgers.rows.get(key)
        if key not in groups and known is not None and known.row.responses == held:
            del ledgers.rows[key]
            touched.add(known.ledger)
            result.updated_rows += 1
    return touched


def _apply_explicit(ledgers: LedgerSet, attributor: Attributor, result: SyncResult) -> set[str]:
    """Move rows of sessions a bet lists under `sessions:` into that bet's ledger."""
    touched: set[str] = set()
    for key, placed in list(ledgers.rows.items()):
        target = attributor.explicit_bet(placed.row.session)
        if target is not None and target != placed.ledger:
            ledgers.rows[key] = Placed(target, placed.row)
            touched |= {target, placed.ledger}
            result.moved_rows += 1
    return touched


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
    return vault, load_ledgers(vault)
