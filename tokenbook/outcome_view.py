"""A bet's cost set against its outcome: per changed line, per commit, per finished deliverable.

Money follows `tokenbook.money`: a figure whose usage is partly unpriced is never a $0 or a
guess. In JSON `usd_per_*` is null then (with the reason in `null_reasons`) and
`priced_usd_per_*` holds the priced part, a floor; in text it shows as `≥$X`. Tokens count
every kind (`total_tokens` of the report). A bet with no outcome data has null figures and the
reason, never zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from tokenbook.outcomes import NO_DATA
from tokenbook.outcomes import Outcome
from tokenbook.outcomes import outcomes_of
from tokenbook.reports import Usage
from tokenbook.reports import usd_text
from tokenbook.reports import utc_text

USD_PLACES = Decimal("0.000001")
TOKEN_PLACES = Decimal("0.01")
UNITS = ("changed_line", "commit", "deliverable")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokenbook.dashboard import BetView
    from tokenbook.store import LedgerSet


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


def bet_yields(ledgers: LedgerSet, views: Sequence[BetView]) -> dict[str, Yield]:
    """What each bet's usage (all of it) bought: its outcome from git, its deliverables."""
    outcomes = outcomes_of(ledgers, [v.id for v in views])
    return {
        v.id: Yield(
            outcome=outcomes[v.id],
            usage=v.usage,
            deliverables_done=v.tasks_done if v.bet is not None else None,
        )
        for v in views
    }
