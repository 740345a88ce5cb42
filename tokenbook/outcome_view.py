"""A bet's cost set against its outcome: per changed line, per commit, per finished deliverable.

Money follows `tokenbook.money`: a figure whose usage is partly unpriced is never a $0 or a
guess. In JSON `usd_per_*` is null then (with the reason in `null_reasons`) and
`priced_usd_per_*` holds the priced part, a floor; in text it shows as `≥$X`. Tokens count
every kind (`total_tokens` of the report). A bet with no outcome data has null figures and the
reason, never zeros.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from dataclasses import replace
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from tokenbook.layout import Column
from tokenbook.layout import fit
from tokenbook.model import UNASSIGNED
from tokenbook.money import dollars
from tokenbook.outcomes import NO_DATA
from tokenbook.outcomes import Outcome
from tokenbook.reports import Usage
from tokenbook.reports import usd_text
from tokenbook.reports import utc_text

USD_PLACES = Decimal("0.000001")
TOKEN_PLACES = Decimal("0.01")
UNITS = ("changed_line", "commit", "deliverable")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """Cost per one unit of outcome; None where it cannot be said (`why`)."""

    usd: Decimal | None = None  # the whole cost per unit, when every part of it is priced
    priced_usd: Decimal | None = None  # the priced part per unit (a floor when partly unpriced)
    tokens: Decimal | None = None
    why: str = ""  # why `usd` (or everything) is None

    @property
    def floor(self) -> bool:
        return self.usd is None and self.priced_usd is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Yield:
    """A bet's outcome and what it cost."""

    outcome: Outcome
    usage: Usage
    deliverables_done: int | None  # None: no bet file (so no task list)

    @property
    def counts(self) -> dict[str, int | None]:
        o = self.outcome
        return {
            "changed_line": o.changed_lines if o.known else None,
            "commit": len(o.commits) if o.known else None,
            "deliverable": self.deliverables_done,
        }

    def rate(self, unit: str) -> Rate:
        n = self.counts[unit]
        if n is None:
            return Rate(why=self._missing(unit))
        if n == 0:
            return Rate(why=_NONE[unit])
        u = self.usage
        if not u.tokens.total:
            return Rate(why="no usage yet")
        tokens = Decimal(u.tokens.total) / n
        some_priced = u.unpriced_tokens < u.tokens.total or not u.unpriced
        priced = u.priced_usd / n if some_priced else None
        if not u.unpriced:
            return Rate(usd=priced, priced_usd=priced, tokens=tokens)
        why = "part of the usage has no price (priced_usd_per_* counts the priced part)"
        if priced is None:
            why = "no part of the usage has a price"
        return Rate(priced_usd=priced, tokens=tokens, why=why)

    def _missing(self, unit: str) -> str:
        if unit == "deliverable":
            return "no bet file, so no task list"
        return f"{NO_DATA}: {self.outcome.note}"


_NONE = {
    "changed_line": "the bet's commits change no lines",
    "commit": "no commit of the bet's branches falls in its span",
    "deliverable": "no finished deliverable yet (`- [x]` in the bet's task list)",
}


def _usd(value: Decimal | None) -> str | None:
    return (
        usd_text(value.quantize(USD_PLACES, rounding=ROUND_HALF_UP)) if value is not None else None
    )


def _tokens(value: Decimal | None) -> float | None:
    return (
        float(value.quantize(TOKEN_PLACES, rounding=ROUND_HALF_UP)) if value is not None else None
    )


def yield_json(y: Yield) -> dict[str, Any]:
    """The outcome fields of a `report bet --json` row (a documented interface)."""
    o = y.outcome
    out: dict[str, Any] = {
        "commits": len(o.commits) if o.known else None,
        "files_changed": o.files_changed if o.known else None,
        "lines_added": o.lines_added if o.known else None,
        "lines_removed": o.lines_removed if o.known else None,
        "changed_lines": o.changed_lines if o.known else None,
    }
    reasons: dict[str, str] = {}
    if not o.known:
        reasons |= {k: f"{NO_DATA}: {o.note}" for k in out}
    for unit in UNITS:
        r = y.rate(unit)
        values = {"usd": _usd(r.usd), "priced_usd": _usd(r.priced_usd), "tokens": _tokens(r.tokens)}
        for kind, value in values.items():
            out[f"{kind}_per_{unit}"] = value
            if value is None:
                reasons[f"{kind}_per_{unit}"] = r.why
    out["deliverables_done"] = y.deliverables_done
    if y.deliverables_done is None:
        reasons["deliverables_done"] = "no bet file, so no task list"
    out["null_reasons"] = dict(sorted(reasons.items()))
    out["outcome"] = outcome_json(o)
    return out


def outcome_json(o: Outcome) -> dict[str, Any]:
    return {
        "data": o.known,
        "partial": o.partial,
        "note": o.note or None,
        "since": utc_text(o.start) if o.start else None,
        "until": utc_text(o.end) if o.end else None,
        "places": [
            {
                "project": p.project,
                "branch": p.branch,
                "repository": p.repository,
                "commits": p.commits if p.counted else None,
                "note": p.note or None,
            }
            for p in o.places
        ],
    }


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
    why: dict[str, list[str]] = {}
    for name in names:
        o = yields[name].outcome
        if o.note and (not o.known or o.partial):
            why.setdefault(("≥ " if o.known else "") + o.note, []).append(name)
    for note, bets in sorted(why.items(), key=lambda x: x[1]):
        lines += textwrap.wrap(
            f"{', '.join(bets)}: {note}",
            max(width, 40),
            subsequent_indent="   ",
            break_on_hyphens=False,
        )
    return lines
