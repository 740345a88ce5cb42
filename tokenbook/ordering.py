"""The order of report rows: by cost (what `report session` shows by default), date or tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

from tokenbook.reports import Bucket
from tokenbook.reports import Report

ORDERS = ("cost", "date", "tokens")
EARLIEST = datetime.min.replace(tzinfo=UTC)


def ordered(report: Report, by: str) -> Report:
    """Buckets by cost (the priced part, highest first; unpriced usage then by its tokens), by
    date (last activity, oldest first) or by tokens (most first). Ties keep the label order."""
    keys: dict[str, Callable[[Bucket], tuple[Any, ...]]] = {
        "cost": lambda b: (-b.usage.priced_usd, -b.usage.tokens.total, b.label),
        "date": lambda b: (b.last or EARLIEST, b.first or EARLIEST, b.label),
        "tokens": lambda b: (-b.usage.tokens.total, b.label),
    }
    return replace(report, buckets=tuple(sorted(report.buckets, key=keys[by])))
