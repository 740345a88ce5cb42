"""Dashboard sections built from more than the cycle's rows: what each command, skill and agent
tool cost (from the records' labels), what the bets' usage bought (from git), and estimates on
record against their actuals."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenbook.breakdown import Line
from tokenbook.breakdown import breakdown
from tokenbook.derived import label_rows
from tokenbook.model import Cycle
from tokenbook.model import Vault
from tokenbook.pricing import PriceBook
from tokenbook.store import LedgerSet
from tokenbook.store import Placed

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
    label = {id(p): name for name, p in placed}
    lines = breakdown([p for _, p in placed], book, lambda p: label[id(p)])
    return [ln for ln in lines if ln.label and not ln.label.startswith("(")][:TOP]


def by_source(in_cycle: Sequence[Placed], book: PriceBook) -> list[Line]:
    """The cycle's usage per agent tool (Claude Code, Codex CLI, ...); one line is no news."""
    lines = breakdown(list(in_cycle), book, lambda p: p.row.source)
    return lines if len(lines) > 1 else []


def bought_markdown(vault: Vault, ledgers: LedgerSet, views: Sequence[object]) -> list[str]:
    """What each bet's usage bought, from git (`docs/outcomes.md`)."""
    from tokenbook.outcome_text import yields_markdown
    from tokenbook.status import bet_yields

    lines = yields_markdown(bet_yields(ledgers, list(views)))  # type: ignore[arg-type]
    return _for_github(lines, vault.settings.links)


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
