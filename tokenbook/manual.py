"""Usage no log records (`tokenbook log`).

It writes through the same ledgers as sync, under the vault lock, and re-render:

a logged entry becomes one response record whose session id is `manual-<hash>` of its fields,
so logging the same entry twice (or on two clones that later merge) counts it once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from tokenbook.alerts import Alert
from tokenbook.crossings import crossed_by_write
from tokenbook.crossings import known_before
from tokenbook.errors import TokenbookError
from tokenbook.events import Tokens
from tokenbook.fileio import vault_lock
from tokenbook.ledger import ITERATION
from tokenbook.ledgerwrite import write_ledgers
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import record_id
from tokenbook.render import render_all
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault
from tokenbook.vault import require_vault

KINDS = ("manual", "scheduled")
MANUAL = "manual"  # the source of logged entries
UNKNOWN_MODEL = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    bet: str
    day: date
    input: int
    output: int = 0
    model: str = UNKNOWN_MODEL
    kind: str = "manual"
    note: str = ""
    iteration: bool = False  # counts as an iteration of the bet (a session of work)

    @property
    def session(self) -> str:
        fields = [self.bet, self.day.isoformat(), self.model, self.kind, self.input, self.output]
        digest = hashlib.sha256(json.dumps([*fields, self.note]).encode()).hexdigest()
        return f"{self.kind}-{digest[:16]}"


def entry_rec(entry: Entry, timezone: str) -> Rec:
    """The entry as one response record at local midnight of its day; the note is kept as its
    project (manual usage has no working directory)."""
    at = datetime.combine(entry.day, time(0), ZoneInfo(timezone)).astimezone(UTC)
    ctx = Context(
        source=MANUAL,
        session=entry.session,
        project=entry.note,
        agent=entry.kind,
        model=entry.model,
        run=ITERATION if entry.iteration else "",
    )
    tokens = Tokens(input=entry.input, output=entry.output)
    return Rec(id=record_id(MANUAL, entry.session, ""), ctx=ctx, at=at, tokens=tokens)


@dataclass(frozen=True, slots=True)
class Logged:
    session: str
    added: bool
    rendered: list[str]
    alerts: list[Alert]


def known_bet(vault: Vault, bet: str, allow_unassigned: bool) -> None:
    ids = [b.id for b in vault.bets]
    if bet in ids or (allow_unassigned and bet == UNASSIGNED):
        return
    raise TokenbookError(f"unknown bet `{bet}`; known: {', '.join([*ids, UNASSIGNED])}")


def log_usage(root: Path, entry: Entry, *, lock_wait: float = 10.0) -> Logged:
    """Append the entry to its bet's ledger (once), then render."""
    if entry.kind not in KINDS:
        raise TokenbookError(f"--kind must be one of {', '.join(KINDS)}, got {entry.kind!r}")
    if entry.input < 0 or entry.output < 0 or entry.input + entry.output == 0:
        raise TokenbookError("--tokens must be a positive whole number of tokens")
    require_vault(root)
    with vault_lock(root, wait_seconds=lock_wait):
        vault = load_vault(root)
        known_bet(vault, entry.bet, allow_unassigned=True)
        ledgers = load_ledgers(vault)
        known = known_before(vault, ledgers)
        rec = entry_rec(entry, vault.settings.timezone)
        added = rec.id not in ledgers.records
        alerts = []
        if added:
            ledgers.place(rec, entry.bet)
            ledgers.retally()
            write_ledgers(ledgers, {entry.bet})
            alerts = crossed_by_write(vault, known, ledgers)
        return Logged(entry.session, added, render_all(vault, ledgers), alerts)
