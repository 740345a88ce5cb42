"""Estimates from the ledgers: what a session, a kind of work or a bet usually costs.

Every estimate is a median with an 80% split-conformal interval (`learn.conformal`: it states
the share of future values it holds) over the latest `learn.WINDOW` samples, the sample size,
and its own backtest: each sample (in time order) predicted from the ones before it. Costs are
budget tokens (the kinds `token_budget_kinds` counts) and priced USD. A model with no price is
never $0: a sample none of whose usage has a price is left out of the USD figures (and
counted), and one partly priced counts its priced part, which makes the USD figures floors
(`Estimate.floor`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from tokenbook.errors import TokenbookError
from tokenbook.learn import MIN_HISTORY as MIN_HISTORY
from tokenbook.learn import WINDOW
from tokenbook.learn import Hits
from tokenbook.learn import backtest_series
from tokenbook.learn import conformal
from tokenbook.ledger import LedgerRow
from tokenbook.model import UNASSIGNED
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.stats import median
from tokenbook.store import LedgerSet


@dataclass(frozen=True, slots=True, kw_only=True)
class Cost:
    usd: Decimal = Decimal(0)  # the priced part
    tokens: int = 0
    priced: bool = False  # some part has a price
    unpriced_tokens: int = 0
    unpriced_models: frozenset[str] = frozenset()

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            usd=self.usd + other.usd,
            tokens=self.tokens + other.tokens,
            priced=self.priced or other.priced,
            unpriced_tokens=self.unpriced_tokens + other.unpriced_tokens,
            unpriced_models=self.unpriced_models | other.unpriced_models,
        )

    @property
    def unpriced_only(self) -> bool:
        """Usage of which no part has a price: its cost is unknown, never $0."""
        return bool(self.unpriced_models) and not self.priced


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    name: str
    unit: str  # what one sample is: "session" or "bet"
    sample_size: int  # every sample: the tokens figures
    usd: tuple[Decimal, Decimal, Decimal] | None  # median, low, high
    tokens: tuple[int, int, int] | None
    usd_sample_size: int = 0  # the samples with a price: the USD figures
    left_out: int = 0  # samples left out of the USD figures: none of their usage has a price
    floor: bool = False  # the USD figures count only the priced part of some samples
    unpriced_tokens: int = 0  # in every sample, left out or not
    unpriced_models: frozenset[str] = frozenset()
    coverage: Decimal | None = None  # the share of future samples the USD interval claims
    hits: Hits = field(default_factory=Hits)  # the backtest of the USD figures


def estimate(
    name: str, unit: str, samples: list[Cost], groups: list[str] | None = None
) -> Estimate:
    """Tokens over every sample; USD over the samples with a price (a sample partly unpriced
    counts its priced part, so the figures are floors, and says so). Samples in time order;
    `groups` names the bet of each (sessions of one bet are alike: `learn.conformal`)."""
    if not samples:
        return Estimate(name=name, unit=unit, sample_size=0, usd=None, tokens=None)
    keys = groups if groups is not None else [str(k) for k in range(len(samples))]
    priced = [(s, g) for s, g in zip(samples, keys, strict=True) if not s.unpriced_only]
    usd, usd_groups = [s.usd for s, _ in priced], [g for _, g in priced]
    tok = [Decimal(s.tokens) for s in samples]
    recent_usd, recent_tok = usd[-WINDOW:], tok[-WINDOW:]  # the figures: the latest samples
    u = conformal(recent_usd, usd_groups[-WINDOW:]) if usd else None
    t = conformal(recent_tok, keys[-WINDOW:])
    return Estimate(
        name=name,
        unit=unit,
        sample_size=len(samples),
        usd=(median(recent_usd), u.low, u.high) if u else None,
        tokens=(round(median(recent_tok)), round(t.low), round(t.high)),
        coverage=u.coverage if u else None,
        hits=backtest_series(usd, usd_groups),
        usd_sample_size=len(usd),
        left_out=len(samples) - len(priced),
        floor=any(s.unpriced_models for s, _ in priced),
        unpriced_tokens=sum(s.unpriced_tokens for s in samples),
        unpriced_models=frozenset().union(*(s.unpriced_models for s in samples)),
    )


@dataclass(slots=True)
class SessionCost:
    session: str
    first: str  # ISO time of its first response: the history's order
    ledgers: set[str] = field(default_factory=set)
    agents: dict[str, Cost] = field(default_factory=dict)
    total: Cost = field(default_factory=Cost)

    @property
    def group(self) -> str:
        """The bet it worked for (sessions of one bet are alike); unassigned: itself."""
        bets = sorted(self.ledgers - {UNASSIGNED})
        return bets[0] if bets else f"session:{self.session}"


def _row_cost(row: LedgerRow, book: PriceBook, kinds: tuple[str, ...]) -> Cost:
    tokens = sum(getattr(row.tokens, k) for k in kinds)
    usd = book.price(row).usd
    if usd is None:
        models = frozenset({row.model})
        return Cost(tokens=tokens, unpriced_tokens=row.tokens.total, unpriced_models=models)
    return Cost(usd=usd, tokens=tokens, priced=True)


def session_costs(vault: Vault, ledgers: LedgerSet) -> list[SessionCost]:
    """Every session's cost, in the order the sessions started."""
    book = PriceBook(vault)
    kinds = vault.settings.budget_kinds
    out: dict[str, SessionCost] = {}
    for placed in ledgers.rows.values():
        row = placed.row
        first = row.first.isoformat()
        s = out.setdefault(row.session, SessionCost(row.session, first))
        s.first = min(s.first, first)
        s.ledgers.add(placed.ledger)
        cost = _row_cost(row, book, kinds)
        s.total = s.total + cost
        s.agents[row.agent] = s.agents.get(row.agent, Cost()) + cost
    return sorted(out.values(), key=lambda s: (s.first, s.session))


def _tags(vault: Vault) -> dict[str, set[str]]:
    """Bet ids by tag."""
    by_tag: dict[str, set[str]] = {}
    for bet in vault.bets:
        for tag in bet.tags:
            by_tag.setdefault(tag, set()).add(bet.id)
    return by_tag


Samples = list[tuple[Cost, str]]  # (cost, group) in time order


def kinds_of_work(vault: Vault, sessions: list[SessionCost]) -> dict[str, Samples]:
    """Per-session costs by kind: `tag` (sessions of bets with that tag) and `agent:NAME`."""
    kinds: dict[str, Samples] = {}
    for tag, bets in sorted(_tags(vault).items()):
        kinds[tag] = [(s.total, s.group) for s in sessions if s.ledgers & bets]
    agents = sorted({a for s in sessions for a in s.agents})
    for agent in agents:
        kinds[f"agent:{agent}"] = [
            (s.agents[agent], s.group) for s in sessions if agent in s.agents
        ]
    return kinds


def estimate_of(name: str, samples: Samples) -> Estimate:
    return estimate(name, "session", [c for c, _ in samples], [g for _, g in samples])


def bet_totals(vault: Vault, ledgers: LedgerSet, bets: Iterable[str]) -> list[Cost]:
    book = PriceBook(vault)
    kinds = vault.settings.budget_kinds
    by_ledger = ledgers.by_ledger()
    return [sum((_row_cost(r, book, kinds) for r in by_ledger.get(b, [])), Cost()) for b in bets]


def summary(vault: Vault, ledgers: LedgerSet) -> list[Estimate]:
    sessions = session_costs(vault, ledgers)
    out = [estimate_of("all sessions", [(s.total, s.group) for s in sessions])]
    for kind, samples in kinds_of_work(vault, sessions).items():
        out.append(estimate_of(kind, samples))
    out.append(
        estimate("completed bets", "bet", bet_totals(vault, ledgers, done_bets(vault, ledgers)))
    )
    return out


def done_bets(vault: Vault, ledgers: LedgerSet) -> list[str]:
    """Done bets with usage, in the order they started."""
    first: dict[str, str] = {}
    for placed in ledgers.rows.values():
        at = placed.row.first.isoformat()
        first[placed.ledger] = min(first.get(placed.ledger, at), at)
    done = [b.id for b in vault.bets if b.status == "done" and b.id in first]
    return sorted(done, key=lambda b: (first[b], b))


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanEstimate:
    terms: tuple[tuple[int, Estimate], ...]
    usd: tuple[Decimal, Decimal, Decimal]  # median, low, high: sums of the terms' figures
    tokens: tuple[int, int, int]

    @property
    def unpriced_kinds(self) -> list[str]:
        """Terms none of whose past sessions has a price: they add nothing to `usd`."""
        return [e.name for _, e in self.terms if e.usd is None]

    @property
    def floor(self) -> bool:
        """`usd` leaves out the unpriced part of some term: it is a floor."""
        return bool(self.unpriced_kinds) or any(e.floor for _, e in self.terms)


_TERM = re.compile(r"^\s*(\d+)\s*(?:x\s*)?([^\s,+]+?)(?:\s+sessions?)?\s*$")


def parse_plan(text: str) -> list[tuple[int, str]]:
    """`"3 feature, 1 review"` (also `+` between terms, and `3x feature sessions`)."""
    terms = []
    for part in re.split(r"[,+]", text):
        if not part.strip():
            continue
        m = _TERM.match(part)
        if m is None:
            raise TokenbookError(
                f'--plan: {part.strip()!r} is not `N KIND`; write e.g. --plan "3 feature, 1 review"'
            )
        terms.append((int(m.group(1)), m.group(2)))
    if not terms:
        raise TokenbookError('--plan is empty; write e.g. --plan "3 feature, 1 review"')
    return terms


def estimate_plan(vault: Vault, ledgers: LedgerSet, text: str) -> PlanEstimate:
    """Sum of per-session figures per term. The interval adds each term's 10th and 90th
    percentile, so it assumes the sessions land at the same end together: a wide interval."""
    kinds = kinds_of_work(vault, session_costs(vault, ledgers))
    terms = []
    for n, kind in parse_plan(text):
        key = kind if kind in kinds else f"agent:{kind}" if f"agent:{kind}" in kinds else None
        if key is None or not kinds[key]:
            known = ", ".join(k for k, v in kinds.items() if v) or "none yet"
            raise TokenbookError(
                f"--plan: no past sessions of kind {kind!r}; kinds with history (bet tags, "
                f"agent:NAME): {known}"
            )
        terms.append((n, estimate_of(key, kinds[key])))
    usd = [sum((n * e.usd[i] for n, e in terms if e.usd), Decimal(0)) for i in range(3)]
    tok = [sum(n * e.tokens[i] for n, e in terms if e.tokens) for i in range(3)]
    return PlanEstimate(
        terms=tuple(terms), usd=(usd[0], usd[1], usd[2]), tokens=(tok[0], tok[1], tok[2])
    )


def estimate_like(vault: Vault, ledgers: LedgerSet, tag: str) -> Estimate:
    """Total cost of past bets with this tag: completed ones, else any that is not planned."""
    tagged = {b.id for b in vault.bets if tag in b.tags}
    done = [b for b in done_bets(vault, ledgers) if b in tagged]
    pool = done or sorted(
        b.id for b in vault.bets if b.id in tagged and b.status in ("active", "dropped")
    )
    label = f"bets tagged {tag}" + ("" if done else " (none completed yet: active ones so far)")
    return estimate(label, "bet", bet_totals(vault, ledgers, pool))
