"""Which alert thresholds a command crossed, on every path that changes what a bet used.

A threshold alerts once: when the ledgers (or the appetites) now cross it and they did not as of
the last command that wrote ledgers. That state is kept in the sync cache (`alerted`), so an
appetite edit, a merge pulled from another clone, `log`, `assign` and `reattribute` alert like a
sync does. Without a cache (deleted, or a new clone), the ledgers before the command decide, so
history merged in never alerts twice on the machine that already alerted.
"""

from __future__ import annotations

from tokenbook.alerts import Alert
from tokenbook.alerts import active_alerts
from tokenbook.cache import SyncCache
from tokenbook.model import Vault
from tokenbook.store import LedgerSet


def known_alerts(cache: SyncCache, vault: Vault, before: LedgerSet) -> set[tuple[str, str, int]]:
    if cache.index.alerted is not None:
        return set(cache.index.alerted)
    return {a.key for a in active_alerts(vault, before)}


def crossed(
    cache: SyncCache, vault: Vault, known: set[tuple[str, str, int]], after: LedgerSet
) -> list[Alert]:
    """The thresholds `after` crosses that `known` did not; records them in the cache's index
    (the caller saves the cache)."""
    active = active_alerts(vault, after)
    cache.index.alerted = sorted(a.key for a in active)
    cache.dirty = True
    return [a for a in active if a.key not in known]


def known_before(vault: Vault, before: LedgerSet) -> set[tuple[str, str, int]]:
    """For commands other than sync, before they change the ledgers."""
    return known_alerts(SyncCache.load(vault.root, vault.settings.timezone), vault, before)


def crossed_by_write(
    vault: Vault, known: set[tuple[str, str, int]], after: LedgerSet
) -> list[Alert]:
    """For commands other than sync, after they wrote the ledgers: record and save."""
    cache = SyncCache.load(vault.root, vault.settings.timezone)
    active = active_alerts(vault, after)
    cache.save_alerted(sorted(a.key for a in active))
    return [a for a in active if a.key not in known]
