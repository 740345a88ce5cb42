"""The guard's part of the summary cache (`.tokenbook-cache/summary.json`, written by render).

`tokenbook guard` and the status line answer from that cache, never from the vault's files:
so it holds each bet's and cycle's `guard:` and `session_budget:`, the settings' guard, and the
price lists (every model's dated rates and the web search price), with amounts as exact decimal
strings. Written here, read by `guard_policy` and `guard_spend`.
"""

from __future__ import annotations

from typing import Any

from tokenbook.model import PRICE_KINDS
from tokenbook.model import Bet
from tokenbook.model import Cycle
from tokenbook.model import Guard
from tokenbook.model import PriceEntry
from tokenbook.model import Rates
from tokenbook.model import SessionBudget
from tokenbook.model import Vault


def guard_json(g: Guard | None) -> dict[str, Any] | None:
    return None if g is None else {"mode": g.mode, "warn": str(g.warn), "block": str(g.block)}


def budget_json(b: SessionBudget | None) -> dict[str, Any] | None:
    if b is None:
        return None
    usd = None if b.usd is None else str(b.usd)
    return {"usd": usd, "tokens": b.tokens, "warn": str(b.warn), "block": str(b.block)}


def _rates(r: Rates) -> dict[str, str]:
    return {k: str(r.of(k)) for k in PRICE_KINDS}


def _entry(e: PriceEntry) -> dict[str, Any]:
    long = None
    if e.long_context is not None and e.long_context_threshold is not None:
        long = {"threshold": e.long_context_threshold, "rates": _rates(e.long_context)}
    return {
        "from": e.start.isoformat(),
        "rates": _rates(e.rates),
        "long_context": long,
        "fast": None if e.fast is None else str(e.fast),
        "geo": {k: str(v) for k, v in e.geo},
    }


def bet_part(bet: Bet) -> dict[str, Any]:
    return {"guard": guard_json(bet.guard), "session_budget": budget_json(bet.session_budget)}


def cycle_part(cycle: Cycle) -> dict[str, Any]:
    return {"guard": guard_json(cycle.guard), "session_budget": budget_json(cycle.session_budget)}


def vault_part(vault: Vault) -> dict[str, Any]:
    return {
        "guard": guard_json(vault.settings.guard),
        "prices": [
            {
                "name": m.name,
                "patterns": list(m.patterns),
                "entries": [_entry(e) for e in m.entries],
            }
            for m in vault.models
        ],
        "web_search": [{"from": w.start.isoformat(), "usd": str(w.usd)} for w in vault.web_search],
    }
