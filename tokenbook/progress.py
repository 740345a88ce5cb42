"""Iteration progress of each bet: iterations used, deliverables done, pace and warnings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

from tokenbook.breakdown import Line
from tokenbook.dashboard import BetView
from tokenbook.dashboard import Dashboard
from tokenbook.dashboard import bet_view
from tokenbook.dashboard import cycle_href
from tokenbook.ledger import LedgerRow
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.pricing import book_for
from tokenbook.store import LedgerSet
from tokenbook.usagesum import usages_by

WARN_AT = Decimal(80)
PROGRESS_DIR = "progress"


@dataclass(slots=True)
class ProgressView:
    bet: Bet
    cycle: Cycle | None
    view: BetView
    unit: str
    links: str = "markdown"  # the vault's `links:` setting
    cycle_href: str = ""  # the cycle's file from the vault's root ("" when it has none)
    iteration_percent: Decimal | None = None
    pace: Decimal | None = None  # iterations per completed deliverable
    projected_total: int | None = None  # iterations the whole task list will take at this pace
    warnings: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    sessions: list[Line] = field(default_factory=list)
    bought: str = ""  # what the usage bought so far, from git (`docs/outcomes.md`)


def build_progress(
    vault: Vault, ledgers: LedgerSet, dash: Dashboard, *, sessions: bool = True
) -> list[ProgressView]:
    """Each bet's progress; `sessions`: with its sessions' usage (the progress file's table)."""
    book = book_for(vault)
    by_ledger = ledgers.by_ledger()
    known = {v.id: v for v in dash.bets}
    yields = bought_lines(dash)
    out = []
    for bet in vault.bets:
        rows = by_ledger.get(bet.id, [])
        view = known.get(bet.id) or bet_view(vault, bet, bet.id, rows, book)
        cycle = vault.cycle(bet.cycle)
        p = ProgressView(
            bet=bet,
            cycle=cycle,
            view=view,
            unit="session",
            links=vault.settings.links,
            cycle_href=cycle_href(vault, cycle),
        )
        _pace(p)
        p.bought = yields.get(bet.id, "")
        p.warnings.extend(view.warnings)
        if sessions:
            p.sessions = _sessions(rows, book)
        out.append(p)
    return out


def _sessions(rows: list[LedgerRow], book: PriceBook) -> list[Line]:
    """Each session's usage, dated by its first row (the sums of columns: `usagesum.py`)."""
    first: dict[str, str] = {}
    for row in rows:
        if row.session not in first:
            first[row.session] = row.date.isoformat()
    usages = usages_by(((row.session, row) for row in rows), book)
    found = [Line(session, usage, first[session]) for session, usage in usages.items()]
    return sorted(found, key=lambda ln: (ln.extra, ln.label))


def bought_lines(dash: Dashboard) -> dict[str, str]:
    """What each bet's usage bought, as one line (from `dash.yields`)."""
    from tokenbook.outcome_text import yield_line

    return {bet: yield_line(y) for bet, y in dash.yields.items()}


def _pace(p: ProgressView) -> None:
    used, limit = p.view.iterations, p.bet.max_iterations
    done, total = p.view.tasks_done, p.view.tasks_total
    if done:
        p.pace = Decimal(used) / Decimal(done)
        p.projected_total = math.ceil(p.pace * total)
    if limit is None:
        return
    p.iteration_percent = Decimal(used) * 100 / Decimal(limit)
    if used >= limit:
        p.warnings.append(f"the iteration limit is reached: {used} of {limit} {p.unit}s used")
    elif p.iteration_percent >= WARN_AT:
        p.warnings.append(f"{used} of {limit} {p.unit}s used (80% warning)")
    if p.projected_total is not None and p.projected_total > limit:
        p.warnings.append(
            f"at {p.pace:.1f} {p.unit}s per deliverable, all {total} deliverables need about "
            f"{p.projected_total} {p.unit}s, more than the limit of {limit}"
        )
    if p.warnings and done < total:
        p.suggestions = [
            "reduce scope: move the least valuable open deliverables to a later bet",
            "split the bet: finish what is done and pitch the rest as a new bet",
            f"raise `max_iterations` above {limit} if the extra work is worth the appetite",
        ]


def orphans(vault: Vault, files: Mapping[Path, str]) -> list[Path]:
    """Progress files of bets that no longer exist, which render wrote itself: regular files
    that start with the frontmatter render writes. Anything else in `progress/` is the user's."""
    folder = vault.root / PROGRESS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.glob("*.md") if p not in files and _rendered_by_us(p))


def _rendered_by_us(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    head = f'---\nbet: "[[{path.stem}]]"\n'.encode()
    with path.open("rb") as f:
        return f.read(len(head)) == head
