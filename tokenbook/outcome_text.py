"""What a bet's usage bought, as text: the `report bet` table, a line for `status` and the
progress files, and a markdown table for the dashboard."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from decimal import ROUND_HALF_UP
from decimal import Decimal

from tokenbook.layout import Column
from tokenbook.layout import fit
from tokenbook.model import UNASSIGNED
from tokenbook.money import dollars
from tokenbook.outcome_view import UNITS
from tokenbook.outcome_view import Rate
from tokenbook.outcome_view import Yield
from tokenbook.outcomes import NO_DATA
from tokenbook.outcomes import Outcome


def rate_text(value: Decimal) -> str:
    """Dollars per unit: cents when they say enough, else four decimals (`$0.0034`)."""
    if value >= 1:
        return dollars(value)
    return "$" + format(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")


def money_rate(r: Rate) -> str:
    if r.usd is not None:
        return rate_text(r.usd)
    if r.priced_usd is not None:
        return "≥" + rate_text(r.priced_usd)
    return "unpriced" if r.tokens is not None else "—"


def count_text(o: Outcome, value: int) -> str:
    """A count; `≥` when some place gave no data (the count is a floor)."""
    return ("≥" if o.partial else "") + f"{value:,}"


def yield_cells(y: Yield) -> list[str]:
    """Commits, files, +lines, -lines, $/line, tok/line, $/commit, done, $/deliverable."""
    o = y.outcome
    line, commit, deliverable = (y.rate(u) for u in UNITS)
    done = "—" if y.deliverables_done is None else str(y.deliverables_done)
    if not o.known:
        return [NO_DATA, "", "", "", "", "", "", done, money_rate(deliverable)]
    tok = f"{line.tokens:,.0f}" if line.tokens is not None else "—"
    return [
        count_text(o, len(o.commits)),
        count_text(o, o.files_changed),
        "+" + count_text(o, o.lines_added),
        "-" + count_text(o, o.lines_removed),
        money_rate(line),
        tok,
        money_rate(commit),
        done,
        money_rate(deliverable),
    ]


def yield_line(y: Yield) -> str:
    """One line for `status` and the progress files: what the bet's usage bought so far."""
    o = y.outcome
    done = "" if y.deliverables_done is None else f"; {y.deliverables_done} deliverable(s) done"
    per_done = y.rate("deliverable")
    if per_done.tokens is not None:
        done += f", {money_rate(per_done)} each"
    if not o.known:
        return f"outcome: {NO_DATA} ({o.note}){done}"
    line, commit = y.rate("changed_line"), y.rate("commit")
    rates = []
    if line.tokens is not None:
        rates.append(f"{money_rate(line)}/line, {line.tokens:,.0f} tok/line")
    if commit.tokens is not None:
        rates.append(f"{money_rate(commit)}/commit")
    return (
        f"outcome: {count_text(o, len(o.commits))} commit(s), {count_text(o, o.files_changed)} "
        f"file(s), +{count_text(o, o.lines_added)}/-{count_text(o, o.lines_removed)} lines"
        + (f"; {', '.join(rates)}" if rates else "")
        + done
    )


OUTCOME_HEADERS = (
    Column(header="Bet", cells=(), clip=12),
    Column(header="Commits", cells=(), right=True),
    Column(header="Files", cells=(), right=True, drop=2),
    Column(header="+Lines", cells=(), right=True),
    Column(header="-Lines", cells=(), right=True),
    Column(header="$/line", cells=(), right=True),
    Column(header="Tok/line", cells=(), right=True, drop=1),
    Column(header="$/commit", cells=(), right=True, drop=1),
    Column(header="Done", cells=(), right=True),
    Column(header="$/done", cells=(), right=True),
)


def yields_table(yields: dict[str, Yield], width: int) -> list[str]:
    """What each bet's usage bought, one row per bet (`unassigned` belongs to none), then why
    data is missing, one line per reason."""
    names = [name for name in yields if name != UNASSIGNED]
    if not names:
        return []
    cells = [[name, *yield_cells(yields[name])] for name in names]
    columns = [replace(h, cells=[row[i] for row in cells]) for i, h in enumerate(OUTCOME_HEADERS)]
    lines = ["What the usage bought (see docs/outcomes.md)", *fit(columns, width, totals=False)]
    for reason in _reasons(yields, names):
        lines += textwrap.wrap(
            reason,
            max(width, 40),
            subsequent_indent="   ",
            break_on_hyphens=False,
        )
    return lines


def yields_markdown(yields: dict[str, Yield]) -> list[str]:
    """The dashboard's "what the usage bought" table (wikilinked bets), then the reasons for
    missing data; empty when there is no bet."""
    names = [name for name in yields if name != UNASSIGNED]
    if not names:
        return []
    heads = [h.header for h in OUTCOME_HEADERS]
    out = ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for name in names:
        cells = [c or "" for c in yield_cells(yields[name])]
        out.append(f"| [[{name}]] | " + " | ".join(cells) + " |")
    reasons = _reasons(yields, names)
    return [*out, *(["", *reasons] if reasons else [])]


def _reasons(yields: dict[str, Yield], names: list[str]) -> list[str]:
    why: dict[str, list[str]] = {}
    for name in names:
        o = yields[name].outcome
        if o.note and (not o.known or o.partial):
            why.setdefault(("≥ " if o.known else "") + o.note, []).append(name)
    return [f"{', '.join(bets)}: {note}" for note, bets in sorted(why.items(), key=lambda x: x[1])]
