"""All ledgers of a vault as one keyed set: read, resolve duplicates, group new usage, write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent
from tokenbook.fileio import write_if_changed
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import ParsedLedger
from tokenbook.ledger import format_ledger
from tokenbook.ledger import parse_ledger
from tokenbook.ledger import prompt_band
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault

LEDGER_DIR = "ledgers"


@dataclass(frozen=True, slots=True)
class Placed:
    ledger: str
    row: LedgerRow


def better(a: Placed, b: Placed, explicit: str | None = None) -> Placed:
    """The later snapshot; between equal ones, the explicit bet, then any bet, then by name."""
    ra, rb = a.row.rank(), b.row.rank()
    if ra != rb:
        return a if ra > rb else b
    return min(a, b, key=lambda p: (p.ledger != explicit, p.ledger == UNASSIGNED, p.ledger))


@dataclass(slots=True)
class LedgerSet:
    """Parsed ledger files and the resolved view: each key once, the latest snapshot."""

    root: Path
    timezone: str
    files: dict[str, ParsedLedger]
    rows: dict[Key, Placed]

    def by_ledger(self) -> dict[str, list[LedgerRow]]:
        """Rows per ledger in key order (so views never depend on the order rows were added)."""
        out: dict[str, list[LedgerRow]] = {name: [] for name in self.files}
        for _, placed in sorted(self.rows.items()):
            out.setdefault(placed.ledger, []).append(placed.row)
        return out

    def duplicates(self) -> int:
        return sum(len(f.rows) for f in self.files.values()) - len(self.rows)


def read_ledgers(root: Path, timezone: str) -> tuple[dict[str, ParsedLedger], list[Problem]]:
    """Parse every ledger file, collecting the problems of all of them."""
    folder = root / LEDGER_DIR
    problems: list[Problem] = []
    files: dict[str, ParsedLedger] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        parsed = parse_ledger(path, str(path), timezone)
        if isinstance(parsed, list):
            problems.extend(parsed)
        else:
            files[parsed.ledger_id] = parsed
    return files, problems


def load_ledgers(vault: Vault, explicit: dict[str, str] | None = None) -> LedgerSet:
    """Read every ledger; raise VaultError if any cannot be fully read (sync must not write)."""
    files, problems = read_ledgers(vault.root, vault.settings.timezone)
    if problems:
        raise VaultError(problems)
    rows: dict[Key, Placed] = {}
    for name, parsed in files.items():
        for row in parsed.rows:
            placed = Placed(name, row)
            known = rows.get(row.key)
            pick = explicit.get(row.session) if explicit else None
            rows[row.key] = placed if known is None else better(known, placed, pick)
    return LedgerSet(vault.root, vault.settings.timezone, files, rows)


@dataclass(slots=True)
class _Group:
    row: LedgerRow
    first_event: UsageEvent


Groups = dict[Key, _Group]


def event_key(e: UsageEvent, tz: ZoneInfo) -> Key:
    """The key of the ledger row an event adds to (the same as that row's `key`)."""
    day = e.at.astimezone(tz).date().isoformat()
    return (day, e.session, e.model, e.agent, e.speed, e.geo, prompt_band(e.tokens.prompt))


def group_events(events: Iterable[UsageEvent], timezone: str) -> Groups:
    """Sum responses into ledger rows: one per session, local day, model, agent, speed, region
    and prompt band. Project and branch are those of the group's first response."""
    tz = ZoneInfo(timezone)
    return group_keyed((event_key(e, tz), e) for e in events)


def group_keyed(events: Iterable[tuple[Key, UsageEvent]]) -> Groups:
    """`group_events` for events whose row keys are known already."""
    sums: dict[Key, _Sum] = {}
    for key, e in events:
        known = sums.get(key)
        if known is None:
            sums[key] = _Sum(e)
        else:
            known.add(e)
    return {key: _Group(s.row(key), s.first_event) for key, s in sums.items()}


class _Sum:
    """Running totals of one row (plain ints: summing rows would make a new row per event)."""

    __slots__ = ("first", "first_event", "last", "n", "tokens", "web_fetch", "web_search")

    def __init__(self, e: UsageEvent) -> None:
        t = e.tokens
        self.first_event, self.n = e, 1
        self.tokens = [t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read]
        self.web_search, self.web_fetch = e.web_search, e.web_fetch
        self.first = self.last = e.at

    def add(self, e: UsageEvent) -> None:
        t, s = e.tokens, self.tokens
        self.n += 1
        s[0] += t.input
        s[1] += t.output
        s[2] += t.cache_write_5m
        s[3] += t.cache_write_1h
        s[4] += t.cache_read
        self.web_search += e.web_search
        self.web_fetch += e.web_fetch
        self.first, self.last = min(self.first, e.at), max(self.last, e.at)
        if (e.at, e.key) < (self.first_event.at, self.first_event.key):
            self.first_event = e

    def row(self, key: Key) -> LedgerRow:
        i, o, w5, w1, cr = self.tokens
        e = self.first_event
        return LedgerRow(
            date=date.fromisoformat(key[0]),
            session=e.session,
            model=e.model,
            agent=e.agent,
            speed=e.speed,
            geo=e.geo,
            prompt_over=key[6],
            responses=self.n,
            tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
            web_search=self.web_search,
            web_fetch=self.web_fetch,
            first=self.first,
            last=self.last,
            project=e.project,
            branch=e.branch,
        )


def write_ledgers(ledgers: LedgerSet, names: Iterable[str]) -> list[str]:
    """Rewrite the named ledgers canonically; return the ones whose bytes changed."""
    by_ledger = ledgers.by_ledger()
    written = []
    for name in sorted(set(names)):
        path = ledgers.root / LEDGER_DIR / f"{name}.md"
        text = format_ledger(name, ledgers.timezone, by_ledger.get(name, []))
        if write_if_changed(path, text):
            written.append(name)
    return written
