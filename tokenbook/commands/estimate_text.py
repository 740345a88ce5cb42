"""The what-if and backtest parts of `tokenbook estimate`, as JSON and as text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokenbook.estimates import MIN_HISTORY
from tokenbook.estimates import Backtest
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


def backtest_json(b: Backtest) -> dict[str, Any]:
    return {
        "what": f"each session predicted from all earlier sessions (at least {MIN_HISTORY})",
        "predictions": b.predictions,
        "inside_interval": b.inside,
        "coverage_percent": float(b.coverage.quantize(Decimal("0.1")))
        if b.coverage is not None
        else None,
        "median_ape_percent": float(b.median_ape.quantize(Decimal("0.1")))
        if b.median_ape is not None
        else None,
        "left_out_unpriced": b.left_out,
    }


def backtest_text(b: Backtest) -> str:
    left = (
        f"\n  {b.left_out} sessions with unpriced usage left out (their cost is not known)"
        if b.left_out
        else ""
    )
    if not b.predictions:
        return f"backtest: not enough history yet (needs {MIN_HISTORY + 1} sessions){left}"
    ape = f"{b.median_ape:.0f}%" if b.median_ape is not None else "—"
    return (
        f"backtest: {b.inside} of {b.predictions} sessions ({b.coverage:.0f}%) fell inside the\n"
        f"  interval predicted from all sessions before them (at least {MIN_HISTORY});\n"
        f"  median absolute percentage error of the predicted median: {ape}{left}"
    )
