"""Plain-text tables for the terminal: right-aligned numbers, thousands separators."""

from __future__ import annotations

from collections.abc import Sequence

from tokenbook.render import cost
from tokenbook.reports import Report

SHORT = 8


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1
) -> str:
    """Columns from `numeric_from` on are right-aligned; a rule separates the totals row."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i >= numeric_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(r) for r in rows]
    if len(body) > 1:
        body.insert(-1, rule)
    return "\n".join([line(headers), rule, *body])


def short_labels(labels: Sequence[str], least: int = SHORT) -> dict[str, str]:
    """The shortest prefix (at least `least` characters) that tells each label apart."""
    out = {}
    for label in labels:
        n = least
        while n < len(label) and any(o != label and o.startswith(label[:n]) for o in labels):
            n += 1
        out[label] = label if n >= len(label) else label[:n] + "…"
    return out


def report_table(report: Report) -> str:
    labels = [b.label for b in report.buckets]
    names = short_labels(labels) if report.kind == "session" else {x: x for x in labels}
    rows = [
        [
            names.get(b.label, b.label.title()) if b is not report.totals else "Total",
            f"{b.usage.tokens.input:,}",
            f"{b.usage.tokens.output:,}",
            f"{b.usage.tokens.cache_write:,}",
            f"{b.usage.tokens.cache_read:,}",
            f"{b.usage.tokens.total:,}",
            cost(b.usage),
        ]
        for b in (*report.buckets, report.totals)
    ]
    headers = [
        report.column.title(),
        "Input",
        "Output",
        "Cache write",
        "Cache read",
        "Total",
        "Cost",
    ]
    table = format_table(headers, rows)
    if report.totals.usage.unpriced:
        table += "\n≥: part of the usage has no price in pricing/ (see `tokenbook check`)"
    return table
