"""The sections only the dashboard file shows (`status` shows none of them): the cycle's usage
per model, project, agent, session and day, what each command, skill and agent tool cost (from
the records' labels), what the bets' usage bought (from git), and estimates on record against
their actuals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from datetime import timedelta

from tokenbook.breakdown import Line
from tokenbook.burnup import burnup
from tokenbook.daily import daily_totals
from tokenbook.derived import label_rows
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.outcome_text import yields_markdown
from tokenbook.pricing import PriceBook
from tokenbook.reports import NO_PROJECT
from tokenbook.reports import Usage
from tokenbook.store import LedgerSet
from tokenbook.store import Placed
from tokenbook.unpriced_usage import unpriced_usage
from tokenbook.usagesum import breakdown
from tokenbook.usagesum import lines_of
from tokenbook.usagesum import top_sessions
from tokenbook.usagesum import usages_by

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokenbook.dashboard import Dashboard

TOP = 10


def top_labels(ledgers: LedgerSet, book: PriceBook, kind: str, cycle: Cycle | None) -> list[Line]:
    """The cycle's usage per command or skill, most expensive first; none when nothing is
    labelled (usage outside any command or skill is left out). From the sums the tally keeps
    per session (`derived.py`): those of `actions.labelled`."""
    placed: list[tuple[str, Placed]] = [
        (label, Placed(ledger, row))
        for label, row, ledger in label_rows(ledgers.derived, kind)
        if cycle is None or cycle.contains(row.date)
    ]
    return top_of(placed, book)


def top_of(placed: list[tuple[str, Placed]], book: PriceBook) -> list[Line]:
    """The most expensive labels of (label, usage) pairs, those in parentheses left out."""
    lines = lines_of(((name, p.row) for name, p in placed), book)
    return [ln for ln in lines if ln.label and not ln.label.startswith("(")][:TOP]


def add_sections(
    dash: Dashboard, ledgers: LedgerSet, book: PriceBook, in_cycle: list[Placed]
) -> None:
    """What only the dashboard file shows: the cycle's usage per model, project, agent, session,
    command, skill and agent tool, per day and as a burn-up chart; what the bets' usage bought;
    estimates against actuals; the unpriced usage by model."""
    dash.models = breakdown(in_cycle, book, lambda p: p.row.model)
    dash.projects = breakdown(in_cycle, book, lambda p: p.row.project or NO_PROJECT)
    dash.agents = breakdown(in_cycle, book, lambda p: p.row.agent)
    dash.sessions = top_sessions(in_cycle, book)
    dash.commands = top_labels(ledgers, book, "command", dash.cycle)
    dash.skills = top_labels(ledgers, book, "skill", dash.cycle)
    dash.sources = by_source(in_cycle, book)
    dash.bought = _for_github(yields_markdown(dash.yields), dash.vault.settings.links)
    dash.estimates = estimates_lines(dash.vault, ledgers)
    dash.unpriced_usage = unpriced_usage((p.row for p in in_cycle), book)
    if dash.cycle is not None and dash.as_of is not None:
        _days(dash, dash.cycle, dash.as_of, in_cycle, book)


def _days(
    dash: Dashboard, cycle: Cycle, as_of: date, placed: list[Placed], book: PriceBook
) -> None:
    """The cycle's usage per day so far, and the burn-up chart."""
    last = min(as_of, cycle.end)
    days: list[date] = []
    day = cycle.start
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    kept = set(days)
    usages = usages_by(((p.row.date, p.row) for p in placed if p.row.date in kept), book)
    dash.daily = [Line(day.isoformat(), usages[day] if day in usages else Usage()) for day in days]
    totals = daily_totals([p.row for p in placed], book, dash.vault.settings.budget_kinds)
    dash.burnup = burnup(cycle, totals, as_of, bool(dash.used.unpriced))


def by_source(in_cycle: Sequence[Placed], book: PriceBook) -> list[Line]:
    """The cycle's usage per agent tool (Claude Code, Codex CLI, ...); one line is no news."""
    lines = breakdown(list(in_cycle), book, lambda p: p.row.source)
    return lines if len(lines) > 1 else []


def estimates_lines(vault: Vault, ledgers: LedgerSet) -> list[str]:
    from tokenbook.estimate_record import estimates_markdown
    from tokenbook.estimate_record import estimates_table

    lines = estimates_markdown(estimates_table(vault, ledgers))
    return _for_github(lines, vault.settings.links)


_WIKILINK = re.compile(r"\[\[([a-z0-9][a-z0-9._-]*)\]\]")


MAX_COLUMNS = 7  # wider tables are cut off on GitHub's page


def _split_wide(lines: list[str]) -> list[str]:
    """A table of more than MAX_COLUMNS columns as two tables that share the first column."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if table:
            width = len(table[0])
            parts = (
                [range(width)]
                if width <= MAX_COLUMNS
                else [range(MAX_COLUMNS - 1), [0, *range(MAX_COLUMNS - 1, width)]]
            )
            for i, cols in enumerate(parts):
                out += [""] if i else []
                out += ["| " + " | ".join(row[c] for c in cols) + " |" for row in table]
            table = []
        out.append(line)
    return out[:-1]


def _for_github(lines: list[str], links: str) -> list[str]:
    """Tables with their numbers right-aligned and no wider than GitHub shows, bet links as the
    vault's `links:` setting says, and loose lines as a list (a paragraph would run together)."""
    out = []
    for line in _split_wide(lines):
        if links == "markdown":
            line = _WIKILINK.sub(r"[\1](bets/\1.md)", line)
        if line.startswith(("| ---", "|---")):
            cells = line.strip().strip("|").split("|")
            line = "|---|" + "--:|" * (len(cells) - 1)
        elif line and not line.startswith(("|", "-", "#", ">")):
            line = "- " + line
        out.append(line)
    return out
