"""Small statistics on Decimal samples: quantiles and medians, no floats in money."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

LOW_Q, HIGH_Q = 0.1, 0.9  # the interval every estimate reports: 10th to 90th percentile


def quantile(values: Sequence[Decimal], q: float) -> Decimal:
    """Linear interpolation between closest ranks (numpy's default, Hyndman-Fan type 7)."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = Decimal(str(q)) * (len(ordered) - 1)
    i = int(pos)
    if i + 1 >= len(ordered):
        return ordered[-1]
    return ordered[i] + (ordered[i + 1] - ordered[i]) * (pos - i)


def median(values: Sequence[Decimal]) -> Decimal:
    return quantile(values, 0.5)
