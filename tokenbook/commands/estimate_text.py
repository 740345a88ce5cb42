"""The what-if and backtest parts of `tokenbook estimate`, as JSON and as text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokenbook.bet_history import Backtest
from tokenbook.learn import Hits
from tokenbook.money import models_text
from tokenbook.reports import usd_text
from tokenbook.whatif import Repriced


def money(value: Decimal | None) -> str | None:
    return usd_text(value.quantize(Decimal("0.000001"))) if value is not None else None


def whatif_json(r: Repriced, scope: str) -> dict[str, Any]:
    terms = [t for t in r.terms.values() if t.tokens]
    return {
        "scope": scope,
        "model": r.model.name,
        "rows": r.rows,
        "actual_usd": money(r.actual_usd),
        "actual_unpriced": sorted(r.actual_unpriced),
        "actual_unpriced_tokens": r.actual_unpriced_tokens,
        "actual_unpriced_models": sorted(r.actual_unpriced_models),
        "as_model_usd": money(r.usd),
        "unpriced": sorted(r.unpriced),
        "unpriced_tokens": r.unpriced_tokens,
        "saving_usd": money(r.saving),
        "terms": [
            {
                "kind": t.kind,
                "count": t.tokens,
                "usd_per_million": money(t.rate),
                "usd": money(t.usd),
            }
            for t in terms
        ],
    }


def whatif_text(r: Repriced, scope: str) -> list[str]:
    out = [f"{scope} re-priced as {r.model.name} ({r.rows} ledger rows priced both ways):"]
    for t in r.terms.values():
        if not t.tokens:
            continue
        if t.kind == "web_search":
            out.append(
                f"  web searches {t.tokens:>14,} x "
                f"${t.usd * 1000 / t.tokens:,.2f}/1000 = ${t.usd:,.4f}"
            )
        else:
            out.append(f"  {t.kind:<14} {t.tokens:>14,} tok x ${t.rate:,.4f}/M = ${t.usd:,.4f}")
    out.append(f"  total ${r.usd:,.4f} as {r.model.name}; actual ${r.actual_usd:,.4f}")
    change = r.saving
    out.append(f"  {'saving' if change >= 0 else 'extra cost'}: ${abs(change):,.4f}")
    if r.unpriced:
        out.append(f"  left out, no price as {r.model.name}: {r.unpriced_tokens:,} tokens")
    for reason in sorted(r.unpriced):
        out.append(f"    {reason}")
    if r.actual_unpriced:
        out.append(
            f"  left out, no actual price: {r.actual_unpriced_tokens:,} tokens of "
            f"{models_text(r.actual_unpriced_models)}"
        )
    for reason in sorted(r.actual_unpriced):
        out.append(f"    {reason}")
    return out


def _pct(value: Decimal | None) -> float | None:
    return float(value.quantize(Decimal("0.1"))) if value is not None else None


def hits_json(h: Hits) -> dict[str, Any]:
    """A backtest's figures: how many predictions, how many within ±20%, how many inside the
    interval they stated, and the share those intervals claimed on average."""
    return {
        "predictions": h.predictions,
        "within_20": h.within,
        "within_20_percent": _pct(h.within_percent),
        "inside_interval": h.inside,
        "coverage_percent": _pct(h.inside_percent),
        "claimed_coverage_percent": _pct(h.nominal_percent),
        "median_ape_percent": _pct(h.median_ape),
    }


def backtest_json(b: Backtest) -> dict[str, Any]:
    return {"what": b.what, **hits_json(b.hits), "left_out_unpriced": b.left_out}


def hits_text(h: Hits) -> str:
    """The backtest in a few words, for the line under an estimate."""
    if not h.predictions:
        return "backtest: not enough history yet"
    return (
        f"backtest: {h.within_percent:.0f}% within ±20%, {h.inside_percent:.0f}% inside the "
        f"interval (it claims {h.nominal_percent:.0f}%), n={h.predictions}"
    )


def backtest_text(b: Backtest, needs: str) -> str:
    left = (
        f"\n  {b.left_out} with unpriced usage left out (their cost is not known)"
        if b.left_out
        else ""
    )
    h = b.hits
    if not h.predictions:
        return f"backtest ({b.what}): not enough history yet (needs {needs}){left}"
    ape = f"{h.median_ape:.0f}%" if h.median_ape is not None else "—"
    return (
        f"backtest ({b.what}):\n"
        f"  {h.within} of {h.predictions} ({h.within_percent:.0f}%) within ±20% of the prediction;"
        f" {h.inside} ({h.inside_percent:.0f}%) inside the stated interval, which claims "
        f"{h.nominal_percent:.0f}% on average; median error {ape}{left}"
    )
