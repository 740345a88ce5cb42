"""The one function that chains the stages: lock → vault → logs → attribution → ledgers → render."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenbook import ledgersync
from tokenbook.cache import SyncCache
from tokenbook.cache import Update
from tokenbook.cache import ledger_fingerprint
from tokenbook.cache import vault_fingerprint
from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.fileio import vault_lock
from tokenbook.ledgersync import KINDS
from tokenbook.limits import LIMITS_FILE
from tokenbook.model import Vault
from tokenbook.sources.claude_code import Progress
from tokenbook.store import LEDGER_DIR
from tokenbook.store import LedgerSet
from tokenbook.store import load_ledgers
from tokenbook.store import read_ledgers
from tokenbook.syncindex import own_writes
from tokenbook.syncresult import SyncResult
from tokenbook.vault import SETTINGS_FILE
from tokenbook.vault import load_settings
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

__all__ = ["SyncResult", "check_vault", "sync", "written"]


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
        same_vault = update is not None  # and the ledgers: the last sync's records stand
        update = update or cache.read(log_dirs, progress, others)
        result = _result(update)
        # Ledgers changed behind our back (a merge, an edit): all are made canonical again.
        rewrite = behind or rebuild
        flags = (render, rewrite, rebuild, same_vault)
        result.rendered = ledgersync.write(vault, cache, update, result, flags)
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
