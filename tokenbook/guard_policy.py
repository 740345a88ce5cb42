"""What the guard thinks of a session: the budgets that apply to it, how far it is into each,
and what the rest would cost on cheaper models. Pure functions on the summary cache's plain
data (see `guard_summary`) and the session's responses (see `guard_spend`).

A bet's `guard:` wins over its cycle's, which wins over the settings'; a bet's
`session_budget:` over its cycle's. A session no bet claims follows the cycle holding today.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from decimal import Decimal

from tokenbook.guard_spend import KINDS
from tokenbook.guard_spend import MTOK
from tokenbook.guard_spend import Prices
from tokenbook.statusline import UNASSIGNED
from tokenbook.statusline import local_day

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DEFAULT_GUARD = {"mode": "warn", "warn": "0.8", "block": "1.1"}
LEVELS = ("", "warn", "block")
CHEAPER = 2  # the newest cheaper models of the price lists named in advice


class Spend:
    """A session's responses summed: priced dollars, unpriced tokens, the token mix."""

    __slots__ = ("first", "last", "mix", "model", "models", "responses", "unpriced", "usd")

    def __init__(self, responses: Mapping[str, list[Any]], prices: Prices, tz: str) -> None:
        self.usd, self.unpriced, self.responses = Decimal(0), 0, len(responses)
        self.mix = [0] * len(KINDS)
        self.models: set[str] = set()
        self.first, self.last, self.model = "", "", ""
        days: dict[str, str] = {}
        groups: dict[tuple[str, str, str, str, bool, bool], list[Any]] = {}
        for r in responses.values():
            if r[0][:16] not in days:
                days[r[0][:16]] = local_day(datetime.fromisoformat(r[0]), tz)
            day = days[r[0][:16]]
            long = prices.long(r[1], day, sum(r[2:7]) - r[3])
            key = (r[1], day, r[7], r[8], long, r[9] > 0)
            group = groups.get(key)
            if group is None:
                groups[key] = list(r)
            else:
                group[2:7] = [a + b for a, b in zip(group[2:7], r[2:7], strict=True)]
                group[9] += r[9]
            if not self.first or r[0] < self.first:
                self.first = r[0]
            if r[0] >= self.last:
                self.last, self.model = r[0], r[1]
        for (model, day, *_, long, _), g in groups.items():  # prices are linear: sum, then price
            cost = prices.cost(g, day, long)
            if cost is None:
                self.unpriced += sum(g[2:7])
            else:
                self.usd += cost
            self.mix = [a + b for a, b in zip(self.mix, g[2:7], strict=True)]
            self.models.add(model)

    @property
    def tokens(self) -> int:
        return sum(self.mix)


def _bet(summary: Mapping[str, Any], bet_id: str) -> Mapping[str, Any] | None:
    return next((b for b in summary["bets"] if b["id"] == bet_id), None)


def _cycle(summary: Mapping[str, Any], cycle_id: str | None, day: str) -> Mapping[str, Any] | None:
    cycles = summary["cycles"]
    if cycle_id is not None:
        return next((c for c in cycles if c["id"] == cycle_id), None)
    return next((c for c in cycles if c["start"] <= day <= c["end"]), None)


def policy(
    summary: Mapping[str, Any], bet_id: str, day: str
) -> tuple[Mapping[str, Any], Mapping[str, Any] | None, str]:
    """(the guard, the session budget or None, the file that set the guard)."""
    bet = _bet(summary, bet_id) if bet_id != UNASSIGNED else None
    cycle = _cycle(summary, bet["cycle"] if bet else None, day)
    if bet and bet.get("guard"):
        guard, where = bet["guard"], f"bets/{bet['id']}.md"
    elif cycle and cycle.get("guard"):
        guard, where = cycle["guard"], f"cycles/{cycle['id']}.md"
    else:
        guard, where = summary.get("guard") or DEFAULT_GUARD, "tokenbook.md"
    budget = (bet or {}).get("session_budget") or (cycle or {}).get("session_budget")
    return guard, budget, where


def level(share: Decimal, thresholds: Mapping[str, Any]) -> str:
    if share >= Decimal(thresholds["block"]):
        return "block"
    return "warn" if share >= Decimal(thresholds["warn"]) else ""


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def rate(value: Decimal) -> str:
    """USD per million tokens, with enough digits to redo the arithmetic from."""
    return f"${value:,.2f}" if value >= 1 else f"${value:.3g}"


def short(n: int) -> str:
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            return f"{Decimal(n) / size:.1f}{unit}"
    return str(n)


def _span(spend: Spend) -> Decimal:
    """Hours from the session's first response to its last."""
    if not spend.first:
        return Decimal(0)
    seconds = (
        datetime.fromisoformat(spend.last) - datetime.fromisoformat(spend.first)
    ).total_seconds()
    return Decimal(int(seconds)) / 3600


def session_figures(budget: Mapping[str, Any], spend: Spend) -> tuple[Decimal, str, Decimal | None]:
    """(the share of the budget used, `$8.40 of $10.00`, dollars left or None): the larger
    share of the dollar and token budgets."""
    shares: list[tuple[Decimal, str]] = []
    left = None
    if budget.get("usd") is not None:
        cap = Decimal(budget["usd"])
        floor = "≥" if spend.unpriced else ""
        share = spend.usd / cap if cap else Decimal(1)
        shares.append((share, f"{floor}{money(spend.usd)} of {money(cap)}"))
        left = cap - spend.usd
    if budget.get("tokens"):
        cap_tokens = int(budget["tokens"])
        what = f"{short(spend.tokens)} of {short(cap_tokens)} tokens"
        shares.append((Decimal(spend.tokens) / cap_tokens, what))
    share, what = max(shares)
    return share, what, left


def session_check(budget: Mapping[str, Any], spend: Spend) -> tuple[str, str, Decimal | None]:
    """(level, what to say, dollars left or None) for a session against its budget, with its
    pace from its first response to its last."""
    share, what, left = session_figures(budget, spend)
    pace = ""
    hours = _span(spend)
    if hours * 60 >= 1:
        if budget.get("usd") is not None:
            rate = f"{money(spend.usd / hours)}/h"
        else:
            rate = f"{short(int(spend.tokens / hours))} tokens/h"
        pace = f", {rate} over {int(hours)}h {int(hours * 60 % 60):02d}m"
    text = f"this session is at {share:.0%} of its budget ({what}{pace})"
    return level(share, budget), text, left


def bet_check(
    bet: Mapping[str, Any],
    guard: Mapping[str, Any],
    extra: Spend | None,
    summary: Mapping[str, Any],
    day: str,
) -> tuple[str, str, Decimal | None]:
    """A bet against its appetite (`extra`: this session's usage not in the ledgers yet)."""
    if bet.get("percent") is None:
        return "", "", None
    left = None
    if bet["appetite_usd"] is not None:
        cap = Decimal(bet["appetite_usd"])
        used = Decimal(bet["used_usd"]) + (extra.usd if extra else 0)
        floor = "≥" if bet.get("unpriced") or (extra and extra.unpriced) else ""
        share = used / cap if cap else Decimal(1)
        what, left = f"{floor}{money(used)} of {money(cap)}", cap - used
    else:
        cap_tokens = int(bet["appetite_tokens"])
        used_tokens = int(bet["used_tokens"]) + (extra.tokens if extra else 0)
        share = Decimal(used_tokens) / cap_tokens if cap_tokens else Decimal(1)
        what = f"{short(used_tokens)} of {short(cap_tokens)} tokens"
    gone = _cycle_gone(summary, bet, day)
    text = f"bet {bet['id']} is at {share:.0%} of its appetite ({what}{gone})"
    return level(share, guard), text, left


def _cycle_gone(summary: Mapping[str, Any], bet: Mapping[str, Any], day: str) -> str:
    cycle = _cycle(summary, bet["cycle"], day)
    if cycle is None:
        return ""
    start, end, today = (date.fromisoformat(x) for x in (cycle["start"], cycle["end"], day))
    gone = min(max((today - start).days + 1, 0), (end - start).days + 1) / ((end - start).days + 1)
    return f", {gone:.0%} of cycle {cycle['id']} gone"


def advice(spend: Spend, prices: Prices, day: str, left: Decimal) -> str:
    """What the rest of the budget buys on this session's model and on cheaper ones, with the
    arithmetic: dollars left ÷ the model's rate for this session's mix of token kinds."""
    current = prices.blended(spend.model, day, spend.mix)
    if current is None:
        return ""
    options = _cheaper(spend, prices, day, current)
    if left <= 0:
        per = "; ".join(f"{rate(r / 10)} on {name}" for name, r in options)
        return f"The next 100k tokens of this mix cost {per}."
    parts = [
        f"{money(left)} left ÷ {rate(r)}/Mtok = {short(int(left / r * MTOK))} tokens on {name}"
        for name, r in options
    ]
    return "At this session's mix of input, output and cache: " + "; ".join(parts) + "."


def _cheaper(spend: Spend, prices: Prices, day: str, current: Decimal) -> list[tuple[str, Decimal]]:
    """The session's model, then cheaper ones: those it already uses, and the newest of the
    price lists (most recent first price), cheapest last."""
    own = prices.model(spend.model)
    out = {own["name"] if own else spend.model: current}
    used = [prices.model(m) for m in sorted(spend.models)]
    newest = sorted(
        (m for m in prices.models if m["entries"] and m["entries"][0]["from"] <= day),
        key=lambda m: (m["entries"][0]["from"], m["name"]),
        reverse=True,
    )
    picked = 0
    for m in [*[u for u in used if u], *newest]:
        rate = prices.blended(m["patterns"][0], day, spend.mix)
        if rate is None or rate >= current or m["name"] in out:
            continue
        if m not in used:
            if picked == CHEAPER:
                continue
            picked += 1
        out[m["name"]] = rate
    return sorted(out.items(), key=lambda kv: -kv[1])
