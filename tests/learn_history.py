"""A generated history for the learning estimates: bets one after another, each of a kind
(tag) with a cost per deliverable, a deliverable count, and log-normal noise; their usage split
over a few sessions. Every cost is priced ($10 per million output tokens, nothing else costs),
so the backtests see every bet.

`draw` makes the history in memory (for calibration over many histories); `generate` writes
one as a vault and Claude Code logs."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.helpers import assistant
from tests.helpers import write_log
from tests.test_budgets import MODEL
from tests.test_budgets import PRICING
from tokenbook.learn import BetSample

KINDS = {"feature": 4.0, "bugfix": 1.5, "docs": 0.8}  # USD per deliverable, before noise
SIGMA = 0.35  # log-normal noise of a bet's total: the best possible ±20% rate is about 44%
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class GenBet:
    id: str
    tag: str
    deliverables: int
    status: str
    start: datetime
    sessions: tuple[int, ...]  # output tokens of each session, one hour apart

    @property
    def usd(self) -> Decimal:
        return Decimal(sum(self.sessions)) * 10 / 1_000_000

    def session_usd(self) -> list[Decimal]:
        return [Decimal(t) * 10 / 1_000_000 for t in self.sessions]

    @property
    def last(self) -> datetime:
        return self.start + timedelta(hours=len(self.sessions) - 1)


def _split(rng: random.Random, total: float, n: int) -> tuple[int, ...]:
    weights = [rng.gammavariate(2.0, 1.0) for _ in range(n)]
    return tuple(max(1000, round(total * w / sum(weights) * 100_000)) for w in weights)


def draw(seed: int, bets: int = 40, open_bets: int = 2) -> list[GenBet]:
    rng = random.Random(seed)
    out = []
    for k in range(bets):
        tag = rng.choice(sorted(KINDS))
        d = rng.randint(1, 6)
        total = KINDS[tag] * d * math.exp(rng.gauss(0, SIGMA))
        status = "active" if k >= bets - open_bets else "done"
        sessions = _split(rng, total, rng.randint(2, 5))
        out.append(GenBet(f"g{k:03d}", tag, d, status, START + timedelta(days=2 * k), sessions))
    return out


def samples(bets: list[GenBet]) -> list[BetSample]:
    """The done bets as the learning estimate sees them."""
    return [
        BetSample(
            id=b.id,
            tags=(b.tag,),
            deliverables=b.deliverables,
            usd=b.usd,
            first=b.start.isoformat(),
            last=b.last.isoformat(),
        )
        for b in bets
        if b.status == "done"
    ]


def sessions(bets: list[GenBet], tag: str | None = None) -> tuple[list[Decimal], list[str]]:
    """Every session's cost in time order, and its bet (its group)."""
    costs, groups = [], []
    for b in bets:
        if tag is None or b.tag == tag:
            costs += b.session_usd()
            groups += [b.id] * len(b.sessions)
    return costs, groups


def bet_text(b: GenBet) -> str:
    done = "x" if b.status == "done" else " "
    tasks = "".join(f"- [{done}] task {i}\n" for i in range(b.deliverables))
    listed = ", ".join(f"s-{b.id}-{i}" for i in range(len(b.sessions)))
    return (
        f"---\ncycle: y\nappetite_usd: 1000\nstatus: {b.status}\nsessions: [{listed}]\n"
        f"tags: [{b.tag}]\n---\n# {b.id}\n\n{tasks}"
    )


def generate(root: Path, logs: Path, seed: int, bets: int = 40) -> list[GenBet]:
    """The history of `draw` as a vault at `root` and logs in `logs`."""
    for folder in ("cycles", "bets", "pricing", "plans"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tokenbook.md").write_text("---\ntimezone: UTC\n---\n")
    cycle = "---\nstart: 2026-01-01\nend: 2026-12-31\nbudget_usd: 100000\n---\n"
    (root / "cycles/y.md").write_text(cycle)
    (root / "pricing/test.md").write_text(PRICING)
    history = draw(seed, bets)
    for b in history:
        (root / "bets" / f"{b.id}.md").write_text(bet_text(b))
        lines = [
            assistant(
                f"m-{b.id}-{i}",
                f"r-{b.id}-{i}",
                ts=(b.start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                session=f"s-{b.id}-{i}",
                model=MODEL,
                input=0,
                output=tokens,
                cache_write=0,
                cache_read=0,
                branch=f"b/{b.id}",
            )
            for i, tokens in enumerate(b.sessions)
        ]
        write_log(logs, f"p/{b.id}.jsonl", lines)
    return history
