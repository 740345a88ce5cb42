"""What a sync did: counts, files written, problems, moves and alerts (printed by the command)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from tokenbook.alerts import Alert
from tokenbook.attribution import Ambiguous
from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.placement import Move


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
