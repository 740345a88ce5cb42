"""Usage per slash command, skill, agent type or run kind, from the ledger records.

Every response record carries the command of its turn, the skill active when it was made, its
agent (main, a subagent's type) and its run kind (docs/commands-and-skills.md). These reports
count the same responses as every other report (the same dedupe, the same migrated rows), so
their totals are equal; they only group them by those labels. Migrated format-1 rows kept no
labels: they show as `(not recorded)` (their agent is known).

Records are summed per label and everything a price or a filter depends on (ledger, project,
local day, model, speed, region, prompt band, web search), and each sum is priced once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from tokenbook.attribution import Place
from tokenbook.attribution import contexts
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.localdays import week_start
from tokenbook.pricing import PriceBook
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.reports import BY
from tokenbook.reports import LABEL_KINDS
from tokenbook.reports import NO_PROJECT
from tokenbook.reports import Bucket
from tokenbook.reports import Filter
from tokenbook.reports import Report
from tokenbook.reports import Usage
from tokenbook.reports import totals_of
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.tally import counted
from tokenbook.tally import row_key

NO_COMMAND = "(no command)"
NO_SKILL = "(no skill)"
NO_RUN = "(unknown)"
NOT_RECORDED = "(not recorded)"
KINDS = LABEL_KINDS  # report kinds (the JSON column has the same name)


@dataclass(frozen=True, slots=True)
class Item:
    """One counted record and where it counts."""

    ledger: str
    rec: Rec
    place: Place
    day: date


LABELS: dict[str, Callable[[Item], str]] = {
    "daily": lambda i: i.day.isoformat(),
    "weekly": lambda i: week_start(i.day).isoformat(),
    "monthly": lambda i: i.day.strftime("%Y-%m"),
    "session": lambda i: i.rec.ctx.session,
    "bet": lambda i: i.ledger,
    "model": lambda i: i.rec.ctx.model,
    "project": lambda i: i.place[0] or NO_PROJECT,
    "command": lambda i: i.rec.ctx.command or NO_COMMAND,
    "skill": lambda i: i.rec.ctx.skill or NO_SKILL,
    "agent": lambda i: i.rec.ctx.label,
    "run": lambda i: i.rec.ctx.run or NO_RUN,
    "source": lambda i: i.rec.ctx.source,  # the agent tool: claude-code, codex, ...
    "action": lambda i: "\t".join(action(i.rec.ctx)),  # type and name (export)
}


def action(ctx: Context) -> tuple[str, str]:
    """The action a response belongs to, as seed 004 types it: `skill` and its name, else
    `agent` and the subagent's type, else `manual` or `scheduled` (a `tokenbook log` entry or a
    scheduled run) or `main`, named by the turn's slash command."""
    if ctx.source == "manual":
        return (ctx.agent or "manual", "")
    if ctx.skill:
        return ("skill", ctx.skill)
    if not ctx.main:
        return ("agent", ctx.label)
    return ("scheduled" if ctx.run == "scheduled" else "main", ctx.command)


def legacy_label(kind: str, placed: Placed) -> str:
    if kind in BY:
        return BY[kind][1](placed)
    agent = placed.row.agent
    if kind == "action":
        return f"{agent}\t" if agent in ("main", "manual", "scheduled") else f"agent\t{agent}"
    if kind == "source":
        return placed.row.source
    return agent if kind == "agent" else NOT_RECORDED


@dataclass(slots=True)
class _Sum:
    """Records of one label, part and price: their totals as one ledger row."""

    first: Item
    at: tuple[datetime, str]
    last: datetime
    band: int
    n: int = 0
    tokens: list[int] = field(default_factory=lambda: [0] * 5)
    web: list[int] = field(default_factory=lambda: [0, 0])
    sessions: set[str] = field(default_factory=set)

    def add(self, item: Item) -> None:
        r, t, s = item.rec, item.rec.tokens, self.tokens
        self.n += 1
        s[0] += t.input
        s[1] += t.output
        s[2] += t.cache_write_5m
        s[3] += t.cache_write_1h
        s[4] += t.cache_read
        self.web[0] += r.web_search
        self.web[1] += r.web_fetch
        self.sessions.add(r.ctx.session)
        if (r.at, r.id) < self.at:
            self.first, self.at = item, (r.at, r.id)
        self.last = max(self.last, r.at)

    def row(self) -> Placed:
        i, c = self.first, self.first.rec.ctx
        a, o, w5, w1, cr = self.tokens
        row = LedgerRow(
            date=i.day,
            session=c.session,
            model=c.model,
            agent=c.label,
            speed=c.speed,
            geo=c.geo,
            prompt_over=self.band,
            responses=self.n,
            tokens=Tokens(input=a, output=o, cache_write_5m=w5, cache_write_1h=w1, cache_read=cr),
            web_search=self.web[0],
            web_fetch=self.web[1],
            first=self.at[0],
            last=self.last,
            project=i.place[0],
            branch=i.place[1],
        )
        return Placed(i.ledger, row)


@dataclass(frozen=True, slots=True)
class Labelled:
    label: str
    part: str
    placed: Placed  # the summed usage as one row (what prices and filters read)
    sessions: frozenset[str]


def labelled(ledgers: LedgerSet, kind: str, part: str = "", rows: bool = False) -> list[Labelled]:
    """The counted usage summed per `kind` label (and `part` label), ledger, project and price;
    with `rows`, per `kind` label and ledger row instead (a ledger row split by label); migrated
    rows as they are."""
    tz = ZoneInfo(ledgers.timezone)
    held = {rid[1] for rid in ledgers.legacy if rid not in ledgers.dropped}
    recs = [r for _, r in ledgers.records.values()]
    places = contexts(recs)
    sums: dict[tuple[str, str, str, tuple[object, ...]], _Sum] = {}
    for r in counted(recs):
        key = row_key(r, tz)
        if key in held:  # a migrated row stands for these responses
            continue
        ledger = ledgers.records[r.id][0]
        item = Item(ledger, r, places[r.id], date.fromisoformat(key[0]))
        label, sub = LABELS[kind](item), LABELS[part](item) if part else ""
        c = r.ctx
        price: tuple[object, ...] = (c.model, c.speed, c.geo, key[6], r.web_search > 0)
        group = (label, sub, ledger, key if rows else (item.place[0], key[0], *price))
        found = sums.get(group)
        if found is None:
            found = sums[group] = _Sum(item, (r.at, r.id), r.at, key[6])
        found.add(item)
    out = [Labelled(g[0], g[1], s.row(), frozenset(s.sessions)) for g, s in sums.items()]
    for rid, row in ledgers.legacy.items():
        if rid not in ledgers.dropped:
            placed = Placed(rid[0], row)
            sub = legacy_label(part, placed) if part else ""
            out.append(Labelled(legacy_label(kind, placed), sub, placed, frozenset({row.session})))
    return out


def build_labelled(
    kind: str, ledgers: LedgerSet, book: PriceBook, keep: Filter, part: str = ""
) -> Report:
    """A report of `kind` (a report kind or one of KINDS) from the records; with `part`, each
    row's usage is also split by that label (`Bucket.parts`)."""
    buckets: dict[str, Bucket] = {}
    for item in labelled(ledgers, kind, part if part != "model" else ""):
        if not keep.keeps(item.placed):
            continue
        bucket = buckets.get(item.label)
        if bucket is None:
            bucket = buckets[item.label] = Bucket(item.label)
        bucket.note(item.placed)
        row = item.placed.row
        priced = book.price(row)
        targets = [bucket.models.setdefault(row.model, Usage())]
        if part and part != "model":
            targets.append(bucket.parts.setdefault(item.part, Usage()))
        for usage in targets:
            usage.add_priced(row, priced)
            usage.sessions |= item.sessions
    totals = totals_of(buckets.values())
    column = BY[kind][0] if kind in BY else kind
    order = sorted(
        buckets.values(),
        key=lambda b: (b.first or datetime.min, b.label) if kind == "session" else b.label,
    )
    return Report(kind, column, tuple(order), totals, part if part != "model" else "")
