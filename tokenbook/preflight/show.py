"""A pre-flight as text (for people) and as JSON (a public interface; README "Pre-flight")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from tokenbook.preflight.count import Calibration
from tokenbook.preflight.estimate import Preflight
from tokenbook.preflight.shares import Share
from tokenbook.reports import usd_text

LARGEST = 10  # files listed in the text output


def money(value: Decimal | None) -> str:
    if value is None:
        return "unpriced"
    places = Decimal("0.0001") if abs(value) < 10 else Decimal("0.01")
    return f"${value.quantize(places, ROUND_HALF_UP):,}"


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _err(pct: float) -> str:
    return f"±{pct:.0f}%" if pct >= 1 or pct == 0 else f"±{pct:.1f}%"


def calibration_line(c: Calibration) -> str:
    ratios = ", ".join(f"{k} {v:.2f}" for k, v in c.ratios)
    if not c.fitted:
        return f"default ratios (chars/token: {ratios}), expected error {_err(c.error_pct)}"
    span = f"{c.first}..{c.last}" if c.first and c.last else "no dates"
    if c.defaults_kept:
        return (
            f"default ratios (chars/token: {ratios}; they predict your {c.pairs:,} request pairs "
            f"of {span} better than a fit), median error {c.error_pct:.1f}% on the newest "
            f"{c.held_back:,}"
        )
    return (
        f"calibrated on {c.pairs:,} request pairs ({span}; chars/token: {ratios}), "
        f"median error {c.error_pct:.1f}% on the newest {c.held_back:,}"
    )


def _table(rows: list[list[str]], align: str) -> list[str]:
    """Columns padded to their widest cell; `align` has one `l` or `r` per column."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align, strict=True)
        ]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def text(pre: Preflight) -> str:
    err = pre.calibration.error_pct
    model = f"{pre.model} ({pre.model_source})"
    lines = [f"Pre-flight for {model}: {calibration_line(pre.calibration)}", ""]
    rows = [["part", "files", "tokens", ""]]
    for p in pre.parts:
        rows.append(
            [
                p.label,
                f"{p.files:,}" if p.files else "",
                f"{p.tokens:,}",
                "measured" if p.measured else _err(err),
            ]
        )
    rows.append(["total input", "", f"{pre.total_tokens:,}", _err(pre.error_pct)])
    rows.append(["expected answer", "", f"{pre.expected_output:,}", "median of your responses"])
    lines += _table(rows, "lrrl")
    lines += [
        "",
        f"Estimated cost: {money(pre.cost)} {_err(pre.error_pct)} (new content as a "
        "5-minute cache write, the conversation as a cache read, the answer as output)",
    ]
    lines += _shares(pre.shares, pre.error_pct)
    lines += _suggestions(pre)
    lines += _largest(pre)
    if pre.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in pre.warnings]
    return "\n".join(lines)


def _shares(shares: list[Share], err: float) -> list[str]:
    if not shares:
        return []
    rows = [["of what is left", "dollars left", "tokens left", "this request"]]
    for s in shares:
        rows.append(
            [
                s.name,
                _left_usd(s),
                f"{s.remaining_tokens:,}" if s.remaining_tokens is not None else "-",
                f"{s.percent:.1f}% {_err(err)}" if s.percent is not None else "nothing left",
            ]
        )
    return ["", *_table(rows, "lrrr")]


def _left_usd(s: Share) -> str:
    """Dollars left; `≤$X` when some usage has no price (the priced part is a floor of what
    was spent, so what is left is a ceiling)."""
    if s.remaining_usd is None:
        return "-"
    return ("≤" if s.unpriced_tokens else "") + money(s.remaining_usd)


def _suggestions(pre: Preflight) -> list[str]:
    if not pre.suggestions:
        return ["", "What to cut: nothing found."]
    err = _err(pre.calibration.error_pct)
    saved = sum(s.tokens_saved for s, _ in pre.suggestions)
    rows = [["path", "tokens saved", "cost saved", "why"]]
    for s, cost in pre.suggestions:
        rows.append([s.path, f"{s.tokens_saved:,} {err}", money(cost), s.reason])
    return [
        "",
        f"What to cut (up to {saved:,} tokens {err}; `--apply` prints the rest):",
        *_table(rows, "lrrl"),
    ]


def _largest(pre: Preflight) -> list[str]:
    files = sorted(pre.files, key=lambda fn: (-fn[1], fn[0].path))[:LARGEST]
    if len(pre.files) <= 1:
        return []
    rows = [["largest files", "tokens", "type"]]
    rows += [[f.path, f"{n:,}", f.facts.kind if not f.facts.binary else "binary"] for f, n in files]
    return ["", *_table(rows, "lrl")]


def as_json(pre: Preflight) -> dict[str, Any]:
    by_name = {s.name.split(" ")[0]: s for s in pre.shares}
    c = pre.calibration
    return {
        "model": pre.model,
        "model_source": pre.model_source,
        "total_tokens": pre.total_tokens,
        "expected_error_pct": round(pre.error_pct, 1),
        "parts": [
            {
                "label": p.label,
                "tokens": p.tokens,
                "files": p.files,
                "measured": p.measured,
                "error_pct": 0.0 if p.measured else round(c.error_pct, 1),
            }
            for p in pre.parts
        ],
        "files": [
            {"path": f.path, "tokens": n, "kind": "binary" if f.facts.binary else f.facts.kind}
            for f, n in pre.files
        ],
        "expected_output_tokens": pre.expected_output,
        "cost_usd": usd_text(pre.cost),
        "unpriced": pre.unpriced or None,
        "suggestions": [
            {
                "path": s.path,
                "rule": s.rule,
                "reason": s.reason,
                "tokens_saved": s.tokens_saved,
                "cost_saved": usd_text(cost),
                "error_pct": round(c.error_pct, 1),
                "files": len(s.files),
            }
            for s, cost in pre.suggestions
        ],
        "shares": [
            {
                "name": s.name,
                "remaining_usd": usd_text(s.remaining_usd),
                "remaining_tokens": s.remaining_tokens,
                "unpriced_tokens": s.unpriced_tokens,
                "percent": _pct(s.percent),
                "error_pct": round(pre.error_pct, 1),
            }
            for s in pre.shares
        ],
        "bet_share_pct": _pct(by_name["bet"].percent) if "bet" in by_name else None,
        "cycle_share_pct": _pct(by_name["cycle"].percent) if "cycle" in by_name else None,
        "warnings": pre.warnings,
        "calibration": {
            "fitted": c.fitted,
            "chars_per_token": {k: round(v, 3) for k, v in c.ratios},
            "median_error_pct": round(c.error_pct, 1),
            "pairs": c.pairs,
            "held_back": c.held_back,
            "first": c.first.isoformat() if c.first else None,
            "last": c.last.isoformat() if c.last else None,
        },
    }
