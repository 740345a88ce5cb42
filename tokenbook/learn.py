"""Estimates that learn from history, and the backtest that says how well they do.

A series (sessions, bets' totals) is predicted from its latest `WINDOW` values: costs drift
with models, prices and habits, and a long memory holds too few of the recent ones. Intervals
are split-conformal: of n past values (or past prediction ratios), the interval runs
from order statistic ⌊0.1(n+1)⌋ to ⌈0.9(n+1)⌉, which holds the next exchangeable value with
probability (j - i)/(n + 1) ≥ 80%. With fewer than 9 values no such pair exists; the interval is
then the values' range and states its own, lower, share ((n - 1)/(n + 1)). So every interval
says the share it claims, and the backtest checks the claim.

A bet's total is predicted from bets done before it started: the median cost per deliverable
(task) of those sharing a tag with it (at least `MIN_PEERS`, else all of them), times its
deliverable count. Its interval scales that by the conformal interval of the ratios
actual/predicted of every done bet, each predicted the same way from the others (leave one out).

A hit "within ±20%" is an actual within 20% of the prediction: |actual - predicted| ≤ 0.2 x
predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tokenbook.stats import median

TAIL = Decimal("0.1")  # each tail of an 80% interval
WITHIN = Decimal("0.2")
MIN_HISTORY = 5  # a series predicts a value from at least this many earlier ones
WINDOW = 30  # ... and from at most this many, the latest: costs drift (models, prices, habits)
MIN_PEERS = 3  # bets sharing a tag that a bet estimate needs before it uses only those
MIN_BETS = 3  # done bets a bet estimate needs at all


@dataclass(frozen=True, slots=True)
class Interval:
    low: Decimal
    high: Decimal
    coverage: Decimal  # the share of future values it claims to hold, 0..1


def conformal(values: Sequence[Decimal], groups: Sequence[str] | None = None) -> Interval:
    """The split-conformal 80% interval of `values` (their range, and its share, when too few).

    `groups` names the unit each value belongs to (a session's bet): values of one unit are
    alike, so each unit weighs 1 in all, its values 1/m each, and the claim counts units, not
    values. Without groups every value is its own unit."""
    keys = list(groups) if groups is not None else [str(k) for k in range(len(values))]
    size = {g: keys.count(g) for g in set(keys)}
    pairs = sorted((v, Decimal(1) / size[g]) for v, g in zip(values, keys, strict=True))
    units = len(size)
    cum, total = [], Decimal(0)
    for _, w in pairs:
        total += w
        cum.append(total)
    low_at = TAIL * (units + 1)
    high_at = (1 - TAIL) * (units + 1)
    lows = [k for k, c in enumerate(cum) if c <= low_at]
    highs = [k for k, c in enumerate(cum) if c >= high_at]
    if lows and highs:
        i, j = lows[-1], highs[0]
    else:
        i, j = 0, len(pairs) - 1
    return Interval(pairs[i][0], pairs[j][0], (cum[j] - cum[i]) / (units + 1))


def within(actual: Decimal, predicted: Decimal) -> bool:
    return abs(actual - predicted) <= WITHIN * predicted


@dataclass(frozen=True, slots=True, kw_only=True)
class Hits:
    """How the predictions of a backtest fared."""

    predictions: int = 0
    within: int = 0  # actual within ±20% of the prediction
    inside: int = 0  # actual inside the stated interval
    claimed: Decimal = Decimal(0)  # the stated shares, added up (their mean is the nominal share)
    errors: tuple[Decimal, ...] = ()  # |actual - predicted| / actual, in percent (actual > 0)

    def add(self, actual: Decimal, predicted: Decimal, interval: Interval) -> Hits:
        err = (abs(actual - predicted) * 100 / actual,) if actual > 0 else ()
        return Hits(
            predictions=self.predictions + 1,
            within=self.within + within(actual, predicted),
            inside=self.inside + (interval.low <= actual <= interval.high),
            claimed=self.claimed + interval.coverage,
            errors=self.errors + err,
        )

    @staticmethod
    def _share(n: int, of: int) -> Decimal | None:
        return Decimal(n) * 100 / of if of else None

    @property
    def within_percent(self) -> Decimal | None:
        return self._share(self.within, self.predictions)

    @property
    def inside_percent(self) -> Decimal | None:
        return self._share(self.inside, self.predictions)

    @property
    def nominal_percent(self) -> Decimal | None:
        return self.claimed * 100 / self.predictions if self.predictions else None

    @property
    def median_ape(self) -> Decimal | None:
        return median(list(self.errors)) if self.errors else None


def backtest_series(
    values: Sequence[Decimal],
    groups: Sequence[str] | None = None,
    min_history: int = MIN_HISTORY,
) -> Hits:
    """Predict each value (in time order) from the `WINDOW` before it: their median, and the
    conformal interval (`groups` as for `conformal`)."""
    hits = Hits()
    for k in range(min_history, len(values)):
        start = max(0, k - WINDOW)
        past = values[start:k]
        interval = conformal(past, groups[start:k] if groups is not None else None)
        hits = hits.add(values[k], median(list(past)), interval)
    return hits


@dataclass(frozen=True, slots=True, kw_only=True)
class BetSample:
    """A bet as the history knows it."""

    id: str
    tags: tuple[str, ...]
    deliverables: int  # tasks in its list (at least 1 counts)
    usd: Decimal  # its total (priced; only bets whose usage is all priced are samples)
    first: str  # ISO time of its first response
    last: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Prediction:
    usd: Decimal
    interval: Interval | None  # None: too few bets to state one
    peers: tuple[str, ...]  # the bets it was made from
    basis: str  # e.g. "3 deliverables x $4.10 per deliverable (median of 5 bets tagged feature)"


def _rate(b: BetSample) -> Decimal:
    return b.usd / max(b.deliverables, 1)


def _peers(tags: Sequence[str], history: Sequence[BetSample]) -> tuple[list[BetSample], str]:
    shared = [b for b in history if set(b.tags) & set(tags)]
    if len(shared) >= MIN_PEERS:
        return shared, f"done bets tagged {' or '.join(sorted(set(tags)))}"
    return list(history), "done bets"


def _point(tags: Sequence[str], deliverables: int, history: Sequence[BetSample]) -> Decimal:
    peers, _ = _peers(tags, history)
    return median([_rate(b) for b in peers]) * max(deliverables, 1)


def predict_bet(
    tags: Sequence[str], deliverables: int, history: Sequence[BetSample]
) -> Prediction | None:
    """A bet's total from done bets (None with fewer than `MIN_BETS`)."""
    if len(history) < MIN_BETS:
        return None
    peers, label = _peers(tags, history)
    rate = median([_rate(b) for b in peers])
    usd = rate * max(deliverables, 1)
    ratios = []
    for b in history:  # leave-one-out: how far this method missed each done bet
        rest = [x for x in history if x.id != b.id]
        guess = _point(b.tags, b.deliverables, rest)
        if guess:
            ratios.append(b.usd / guess)
    interval = None
    if len(ratios) >= 2:
        c = conformal(ratios)
        interval = Interval(usd * c.low, usd * c.high, c.coverage)
    basis = (
        f"{max(deliverables, 1)} deliverable(s) x ${rate:,.2f} per deliverable "
        f"(median of {len(peers)} {label})"
    )
    return Prediction(usd=usd, interval=interval, peers=tuple(b.id for b in peers), basis=basis)


def backtest_bets(samples: Sequence[BetSample]) -> Hits:
    """Predict each done bet from the bets done before its first response."""
    hits = Hits()
    for target in sorted(samples, key=lambda b: (b.first, b.id)):
        history = [b for b in samples if b.last < target.first]
        p = predict_bet(target.tags, target.deliverables, history)
        if p is not None and p.interval is not None:
            hits = hits.add(target.usd, p.usd, p.interval)
    return hits
