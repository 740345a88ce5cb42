"""Fit characters per token from the user's own Claude Code logs.

Between two consecutive responses of one conversation, the prompt grows by the previous
response's output plus whatever was added in between (the user's message, tool results). A
request's prompt is `input + cache_creation + cache_read`, so for each such pair

    prompt[n+1] - prompt[n] - output[n]  ≈  overhead + Σ_kind chars[kind] / ratio[kind]

and a least-squares fit over many pairs gives the ratios (the pairs come from `pairs.py`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from tokenbook.preflight.count import DEFAULT_RATIOS
from tokenbook.preflight.count import Calibration
from tokenbook.preflight.kinds import KINDS
from tokenbook.preflight.pairs import Pair

MIN_PAIRS = 10  # fewer pairs than this and the defaults stay
MIN_KIND_PAIRS = 5  # a kind is fitted only when this many pairs hold a real share of it
HOLD_BACK = 0.2  # the newest fifth of the pairs measures the error
MIN_ERROR_TOKENS = 20  # pairs adding fewer tokens are left out of the % error


@dataclass(frozen=True, slots=True)
class Fit:
    weights: dict[str, float]  # tokens per character, fitted kinds only
    overhead: float

    def predict(self, chars: Sequence[int]) -> float:
        total = self.overhead
        for i, kind in enumerate(KINDS):
            weight = self.weights.get(kind, 1 / DEFAULT_RATIOS[kind])
            total += chars[i] * weight
        return total


def _solve(rows: list[list[float]], ys: list[float]) -> list[float] | None:
    """Least squares by the normal equations; None when the system is singular."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
    b = [sum(r[i] * y for r, y in zip(rows, ys, strict=True)) for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-9 * max(1.0, max(abs(x) for x in a[col])):
            return None
        a[col], a[pivot] = a[pivot], a[col]
        b[col], b[pivot] = b[pivot], b[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
                b[r] -= f * b[col]
    return [b[i] / a[i][i] for i in range(n)]


def _fittable(pairs: Sequence[Pair]) -> list[int]:
    """Kinds (indexes) that enough pairs hold a real share (10%) of."""
    out = []
    for i in range(len(KINDS)):
        holding = sum(1 for p in pairs if p.chars[i] * 10 >= sum(p.chars) and p.chars[i] > 0)
        if holding >= MIN_KIND_PAIRS:
            out.append(i)
    return out


def fit(pairs: Sequence[Pair]) -> Fit | None:
    """Fit, drop outliers once, refit; kinds that come out non-positive keep their default."""
    cols = _fittable(pairs)
    result = _fit_cols(pairs, cols, intercept=True)
    if result is None:
        return None
    residuals = [abs(result.predict(p.chars) - p.tokens) for p in pairs]
    limit = max(50.0, 5 * statistics.median(residuals))
    kept = [p for p, r in zip(pairs, residuals, strict=True) if r <= limit]
    return _fit_cols(kept, cols, intercept=True) or result


def _fit_cols(pairs: Sequence[Pair], cols: list[int], *, intercept: bool) -> Fit | None:
    while True:
        if not pairs or (not cols and not intercept):
            return None
        rows = [[float(p.chars[i]) for i in cols] + ([1.0] if intercept else []) for p in pairs]
        ys = [p.tokens - _defaulted(p, cols) for p in pairs]
        solved = _solve(rows, ys)
        if solved is None:
            if intercept:
                intercept = False
                continue
            return None
        weights = {KINDS[i]: w for i, w in zip(cols, solved, strict=False)}
        overhead = solved[-1] if intercept else 0.0
        bad = [i for i in cols if weights[KINDS[i]] <= 0]
        if bad:
            cols = [i for i in cols if i not in bad]
            continue
        if overhead < 0:
            intercept = False
            continue
        return Fit(weights, overhead)


def _defaulted(p: Pair, cols: list[int]) -> float:
    """Tokens of the kinds not being fitted, at their default ratio."""
    return sum(p.chars[i] / DEFAULT_RATIOS[k] for i, k in enumerate(KINDS) if i not in cols)


def median_error_pct(f: Fit, pairs: Sequence[Pair]) -> float | None:
    errors = [
        abs(f.predict(p.chars) - p.tokens) * 100 / p.tokens
        for p in pairs
        if p.tokens >= MIN_ERROR_TOKENS
    ]
    return statistics.median(errors) if errors else None


def calibrate(pairs: Sequence[Pair], starts: Sequence[int] = ()) -> Calibration | None:
    """Fit on the older 80%, measure on the newest 20%, store the fit on all pairs.

    When the default ratios predict the held-back pairs better than the fit does (too little or
    too noisy history), the defaults are kept, with the error measured for them."""
    if len(pairs) < MIN_PAIRS:
        return None
    cut = len(pairs) - max(2, round(len(pairs) * HOLD_BACK))
    train, test = pairs[:cut], pairs[cut:]
    trial = fit(train)
    final = fit(pairs)
    default_error = median_error_pct(Fit({}, 0.0), test)
    error = median_error_pct(trial, test) if trial else None
    if (
        trial is None
        or final is None
        or error is None
        or (default_error is not None and default_error < error)
    ):
        final, error = Fit({}, 0.0), default_error
    return Calibration(
        ratios=tuple(
            (k, 1 / final.weights[k] if k in final.weights else DEFAULT_RATIOS[k]) for k in KINDS
        ),
        samples=tuple(
            (k, sum(1 for p in pairs if p.chars[i]))
            for i, k in enumerate(KINDS)
            if k in final.weights
        ),
        error_pct=error if error is not None else 0.0,
        pairs=len(pairs),
        held_back=len(test),
        overhead_tokens=round(final.overhead),
        session_start_tokens=round(statistics.median(starts)) if starts else 0,
        first=pairs[0].at.date(),
        last=pairs[-1].at.date(),
        fitted=True,
    )
