"""What Claude Code's logs hold now, for `status` (plan windows) and `report blocks`: every
response a log still holds, as `claude_code.collect` would read it, but taken from the ledgers'
records for the bytes the last sync read (`held.py`) and from the logs only after that.

When the ledgers changed behind the sync cache (a checkout, a merge, an edit), the records may
not be what the logs say: the logs are read whole, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenbook.cache import SyncCache
from tokenbook.events import UsageEvent
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.records import message_of
from tokenbook.sources import claude_code
from tokenbook.sources.claude_records import to_rec
from tokenbook.store import LedgerSet
from tokenbook.syncindex import ledger_fingerprint


def log_events(root: Path, dirs: Sequence[Path], ledgers: LedgerSet) -> list[UsageEvent]:
    """Every response that counts among those the logs under `dirs` hold, in time order."""
    cache = SyncCache.load(root)
    if not cache.index.files or cache.index.ledgers != ledger_fingerprint(root):
        return claude_code.collect(dirs).events
    update, held = cache.peek(dirs)
    tail = {update.ids[k]: to_rec(k, r, update.agents) for k, r in update.records.items()}
    records = ledgers.records
    found: dict[str, Rec] = {}
    for rid in held | set(tail):
        known, new = records.get(rid), tail.get(rid)
        if known is None:
            if new is None:  # held by a log, but not in the ledgers: read the logs
                return claude_code.collect(dirs).events
            found[rid] = new
        else:
            found[rid] = known[1] if new is None else join(known[1], new)
    return _events(found, update.agents)


def _events(found: dict[str, Rec], agents: dict[str, str]) -> list[UsageEvent]:
    """As `claude_code.Deduper.events`: on the main thread, or a sidechain response whose
    message was not also answered there; a subagent's type from the meta files there now."""
    main = {message_of(rid) for rid, r in found.items() if r.ctx.main}
    out = []
    for rid, r in found.items():
        c = r.ctx
        if not c.main and message_of(rid) in main:
            continue
        out.append(
            UsageEvent(
                key=rid,
                session=c.session,
                at=r.at,
                model=c.model,
                tokens=r.tokens,
                project=c.project,
                branch=c.branch,
                agent="main" if c.main else agents.get(c.agent_id, "subagent"),
                speed=c.speed,
                geo=c.geo,
                web_search=r.web_search,
                web_fetch=r.web_fetch,
            )
        )
    out.sort(key=lambda e: (e.at, e.key))
    return out
