"""The estimate fields of a bet file: `estimate: {usd, low, high, on, evidence}` (what
`tokenbook estimate --record` writes) and `estimate_alert: 110%`."""

from __future__ import annotations

from typing import Any

from tokenbook import fields as f
from tokenbook.fields import Fields
from tokenbook.model import EstimateRecord

ESTIMATE_KEYS = ("usd", "low", "high", "on", "evidence")


def percent_of_estimate(value: Any) -> int:
    """`110%` or `110`: a whole, positive number of percent."""
    text = f.text(value).strip()
    return f.positive(text[:-1].strip() if text.endswith("%") else text)


def parse_estimate(r: Fields) -> EstimateRecord | None:
    """The bet's `estimate:` mapping; None (with a located problem when it is invalid)."""
    r.used.add("estimate")
    if r.data.get("estimate") is None:
        return None
    if not isinstance(r.data["estimate"], dict):
        r.problem(
            "estimate",
            "`estimate` must be a mapping such as `{usd: 12, low: 6, high: 20, on: 2026-11-03}`",
        )
        return None
    raw = r.data["estimate"]
    if True in raw and "on" not in raw:  # YAML 1.1 reads the key `on` as true
        raw["on"] = raw.pop(True)
    e = r.sub("estimate")
    usd = e.get("usd", f.money, required=True)
    low = e.get("low", f.money)
    high = e.get("high", f.money)
    on = e.get("on", f.day)
    evidence = e.get("evidence", f.text)
    e.close()
    if usd is None:
        return None
    if (low is not None and low > usd) or (high is not None and high < usd):
        e.problem(None, f"the estimate {usd} is outside its interval; need low <= usd <= high")
        return None
    return EstimateRecord(usd=usd, low=low, high=high, on=on, evidence=evidence or "")
