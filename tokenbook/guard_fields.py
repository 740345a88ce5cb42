"""The guard fields of settings, cycles and bets (`guard:`, `session_budget:`), parsed with
located problems like every other vault field (docs/guards.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokenbook import fields as f
from tokenbook.fields import Fields
from tokenbook.model import BLOCK_AT
from tokenbook.model import GUARD_MODES
from tokenbook.model import WARN_AT
from tokenbook.model import Guard
from tokenbook.model import SessionBudget


def _threshold(value: Any) -> Decimal:
    """A share of a budget: `80%`, `110%` or a fraction such as `0.8`."""
    s = f.text(value).strip()
    try:
        d = Decimal(s[:-1].strip()) / 100 if s.endswith("%") else Decimal(s)
    except ArithmeticError:
        raise f.Invalid(f"expected a share such as `80%` or `110%`, got {s!r}") from None
    if not d.is_finite() or not 0 < d <= 10:
        raise f.Invalid(f"expected a share above 0% and at most 1000%, got {s!r}")
    return d


def _thresholds(r: Fields) -> tuple[Decimal, Decimal]:
    warn, block = r.get("warn", _threshold), r.get("block", _threshold)
    warn, block = warn or WARN_AT, block or BLOCK_AT
    if warn > block:
        r.problem("warn", f"`warn` ({warn:%}) is above `block` ({block:%}); swap them")
    return warn, block


def parse_guard(r: Fields) -> Guard | None:
    """`guard: warn|block|off`, or `guard: {mode: block, warn: 80%, block: 110%}`."""
    r.used.add("guard")
    value = r.data.get("guard")
    if value is None:
        return None
    if value is False:  # YAML reads a bare `off` as false
        return Guard(mode="off")
    if not isinstance(value, dict):
        mode = r.get("guard", f.choice(*GUARD_MODES))
        return Guard(mode=mode) if mode else None
    g = r.sub("guard")
    mode = g.get("mode", lambda v: "off" if v is False else f.choice(*GUARD_MODES)(v))
    warn, block = _thresholds(g)
    g.close()
    return Guard(mode=mode or "warn", warn=warn, block=block)


def parse_session_budget(r: Fields) -> SessionBudget | None:
    """`session_budget: {usd: 10, tokens: 2000000, warn: 80%, block: 110%}`."""
    r.used.add("session_budget")
    if r.data.get("session_budget") is None:
        return None
    if not isinstance(r.data["session_budget"], dict):
        r.problem("session_budget", "`session_budget` must be a mapping such as `{usd: 10}`")
        return None
    b = r.sub("session_budget")
    usd, tokens = b.get("usd", f.money), b.get("tokens", f.count)
    warn, block = _thresholds(b)
    b.close()
    if usd is None and tokens is None:
        if not {"usd", "tokens"} & set(b.data):
            b.problem(None, "a session budget needs `usd:` and/or `tokens:`")
        return None
    return SessionBudget(usd=usd, tokens=tokens, warn=warn, block=block)
