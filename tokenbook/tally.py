"""Records → ledger rows: which responses count, and their sums per row.

A response counts when it is on the main thread, or when no main-thread response has its
message id (a sidechain that replays a main-thread message under a new requestId counts once).
Rows sum the counting responses per ledger, local day, session, model, agent, speed, region and
prompt band; a row's project and branch are where its session's main thread was working at its
first response (`attribution.contexts`).

Migrated format-1 rows (`l` lines) stand for responses whose records may be gone. A migrated row
gives way once the records of its key count at least as many responses (the logs were read
again: the records are exact); until then the records of that key are not counted on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Set
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tokenbook.attribution import Place
from tokenbook.attribution import contexts
from tokenbook.derived import Derived
from tokenbook.derived import derive
from tokenbook.events import Tokens
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import LocalDays
from tokenbook.model import FORMAT_1_BANDS
from tokenbook.model import PROMPT_BANDS
from tokenbook.records import Rec
from tokenbook.records import message_of

RowId = tuple[str, Key]  # (ledger, row key)


@dataclass(frozen=True, slots=True)
class Placed:
    ledger: str
    row: LedgerRow


def counted(records: Iterable[Rec]) -> list[Rec]:
    recs = list(records)
    main = {message_of(r.id) for r in recs if r.ctx.main}
    return [r for r in recs if r.ctx.main or message_of(r.id) not in main]


_BANDS = sorted(PROMPT_BANDS, reverse=True)


def band_of(prompt_tokens: int) -> int:
    """`ledger.prompt_band`, without a generator per call."""
    for band in _BANDS:
        if prompt_tokens > band:
            return band
    return 0


def row_key(r: Rec, tz: ZoneInfo | LocalDays) -> Key:
    c = r.ctx
    day = tz.text(r.at) if isinstance(tz, LocalDays) else r.at.astimezone(tz).date().isoformat()
    # A logged entry sums many requests: its size says nothing of one prompt's.
    band = 0 if c.source == "manual" else band_of(r.tokens.prompt)
    return (day, c.session, c.model, c.label, c.speed, c.geo, band)


SIDE = "side"
LOGGED = ("manual", "scheduled")


def history_key(key: Key) -> Key:
    """The key a migrated row and records are compared under: a subagent's type is not part of
    it (format 1 wrote `subagent` where records now know the type, or the other way round),
    and a prompt band is one format 1 knew (it recorded prompts over 272k as over 200k)."""
    day, session, model, agent, speed, geo, band = key
    side = agent if agent in ("main", *LOGGED) else SIDE
    old_band = max((b for b in FORMAT_1_BANDS if b <= band), default=0)  # 272k was 200k
    return (day, session, model, side, speed, geo, old_band)


def superseded(legacy: Mapping[RowId, LedgerRow], keys: Mapping[Key, int]) -> set[RowId]:
    """Migrated rows whose key (`history_key`) now has at least as many counted records as all
    migrated rows of that key together."""
    held: dict[Key, int] = {}
    for rid, row in legacy.items():
        k = history_key(rid[1])
        held[k] = held.get(k, 0) + row.responses
    return {rid for rid in legacy if keys.get(history_key(rid[1]), 0) >= held[history_key(rid[1])]}


def tally(
    placed: Mapping[str, tuple[str, Rec]],
    legacy: Mapping[RowId, LedgerRow],
    timezone: str,
    places: Mapping[str, Place] | None = None,
    dropped: Set[RowId] = frozenset(),
) -> tuple[dict[RowId, Placed], set[RowId], dict[str, Derived]]:
    """Every ledger row, the migrated rows that records replace (to drop on writing), and what
    the dashboard takes from the records per session (`derived.py`). `places`:
    `attribution.contexts` of the records, when known already; `dropped`: migrated rows
    dropped before."""
    tz = LocalDays(timezone)
    keyed = _keyed(counted(r for _, r in placed.values()), tz)
    per_key: dict[Key, int] = {}
    for key, _ in keyed:
        hk = history_key(key)
        per_key[hk] = per_key.get(hk, 0) + 1
    gone = superseded(legacy, per_key)
    held = {history_key(rid[1]) for rid in legacy if rid not in gone}
    # `actions.labelled` leaves out the records of a migrated row's very key
    exact = {rid[1] for rid in legacy if rid not in gone and rid not in dropped}
    if places is None:
        places = contexts(r for _, r in placed.values())
    flags = [
        (key, r, not held or history_key(key) not in held, key not in exact) for key, r in keyed
    ]
    del keyed  # a sync's peak memory is here: hold each record once
    sums: dict[RowId, _Sum] = {}
    for key, r, in_row, _ in flags:
        if not in_row:
            continue
        rid = (placed[r.id][0], key)
        known = sums.get(rid)
        if known is None:
            sums[rid] = _Sum(r, places[r.id])
        else:
            known.add(r, places[r.id])
    found = {rid: Placed(rid[0], s.row(rid[1])) for rid, s in sums.items()}
    for rid, row in legacy.items():
        if rid not in gone:
            found[rid] = Placed(rid[0], row)
    rows = {rid: found[rid] for rid in sorted(found)}
    return rows, gone, derive(list(placed.values()), flags, places)


def _keyed(recs: list[Rec], tz: LocalDays) -> list[tuple[Key, Rec]]:
    """Each record with its row key; records of one row share one key object (a year of
    responses makes a few thousand keys, not one tuple each)."""
    unique: dict[Key, Key] = {}
    out = []
    for r in recs:
        key = row_key(r, tz)
        out.append((unique.setdefault(key, key), r))
    return out


class _Sum:
    """Running totals of one row."""

    __slots__ = (
        "first",
        "last",
        "n",
        "place",
        "run",
        "source",
        "tokens",
        "web_fetch",
        "web_search",
    )

    def __init__(self, r: Rec, place: Place) -> None:
        t = r.tokens
        self.n = 1
        self.tokens = [t.input, t.output, t.cache_write_5m, t.cache_write_1h, t.cache_read]
        self.web_search, self.web_fetch = r.web_search, r.web_fetch
        self.first, self.last = (r.at, r.id), r.at
        self.place = place
        self.source, self.run = r.ctx.source, r.ctx.run

    def add(self, r: Rec, place: Place) -> None:
        t, s = r.tokens, self.tokens
        self.n += 1
        s[0] += t.input
        s[1] += t.output
        s[2] += t.cache_write_5m
        s[3] += t.cache_write_1h
        s[4] += t.cache_read
        self.web_search += r.web_search
        self.web_fetch += r.web_fetch
        if (r.at, r.id) < self.first:
            self.first, self.place = (r.at, r.id), place
        self.last = max(self.last, r.at)

    def row(self, key: Key) -> LedgerRow:
        i, o, w5, w1, cr = self.tokens
        day, session, model, agent, speed, geo, band = key
        return LedgerRow(
            date=date.fromisoformat(day),
            session=session,
            model=model,
            agent=agent,
            speed=speed,
            geo=geo,
            prompt_over=band,
            responses=self.n,
            tokens=Tokens(input=i, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
            web_search=self.web_search,
            web_fetch=self.web_fetch,
            first=self.first[0],
            last=self.last,
            project=self.place[0],
            branch=self.place[1],
            source=self.source,
            run=self.run,
        )
