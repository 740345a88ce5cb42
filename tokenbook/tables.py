"""Plain-text tables for the terminal: right-aligned numbers, thousands separators, 100 columns."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tokenbook.blocks import Block
from tokenbook.blocks import BlocksReport
from tokenbook.escape import terminal
from tokenbook.render import compact
from tokenbook.render import cost
from tokenbook.render import usd
from tokenbook.reports import Report
from tokenbook.reports import Usage
from tokenbook.reports import iso_week

SHORT = 8
WIDTH = 100
NARROWEST_LABEL = 12
HEADERS = ("Input", "Output", "Cache write", "Cache read", "Total", "Cost")
UNPRICED_NOTE = "≥: part of the usage has no price in pricing/ (see `tokenbook check`)"
SUB = "  "  # indent of a --breakdown model line


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1
) -> str:
    """Columns from `numeric_from` on are right-aligned; a rule separates the totals row.
    Control characters (escape sequences from a log's text) are shown as `\\xNN`."""
    rows = [[terminal(c, keep_newlines=False) for c in r] for r in rows]
    widths = _widths(headers, rows)

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


def _widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]


def short_labels(labels: Sequence[str], least: int = SHORT) -> dict[str, str]:
    """The shortest prefix (at least `least` characters) that tells each label apart.

    In sorted order a label shares its longest prefix with a neighbour, so this is O(n log n)."""
    order = sorted(set(labels))
    out = {}
    for i, label in enumerate(order):
        shared = max(
            (_common(label, order[j]) for j in (i - 1, i + 1) if 0 <= j < len(order)), default=0
        )
        n = max(least, shared + 1)
        out[label] = label if n >= len(label) else label[:n] + "…"
    return out


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def clip(text: str, width: int, keep_end: bool = False) -> str:
    """At most `width` characters; `…` marks what was cut (the start of a path, else the end)."""
    if len(text) <= width:
        return text
    if keep_end:
        return "…" + text[len(text) - width + 1 :]
    return text[: width - 1] + "…"


def _numbers(u: Usage, short: bool) -> list[str]:
    t = u.tokens
    values = (t.input, t.output, t.cache_write, t.cache_read, t.total)
    return [compact(v) if short else f"{v:,}" for v in values] + [cost(u)]


def fit_table(
    header: str,
    lines: Sequence[tuple[str, Usage]],
    keep_end: bool = False,
    width: int = WIDTH,
) -> str:
    """A table of usage lines (the last one is the totals) within `width` columns: long labels
    are clipped first; only if that is not enough do token counts become compact (1.2M)."""
    lines = [(terminal(label, keep_newlines=False), u) for label, u in lines]
    for short in (False, True):
        rows = [[label, *_numbers(u, short)] for label, u in lines]
        widths = _widths((header, *HEADERS), rows)
        room = width - (sum(widths) - widths[0]) - 2 * len(HEADERS)
        if widths[0] > room:
            limit = max(room, NARROWEST_LABEL, len(header))
            for r in rows:
                indent = SUB if r[0].startswith(SUB) else ""
                r[0] = indent + clip(r[0][len(indent) :], limit - len(indent), keep_end)
        table = format_table((header, *HEADERS), rows)
        if max(map(len, table.split("\n"))) <= width:
            break
    return table


def _with_models(
    label: str, u: Usage, models: dict[str, Usage], breakdown: bool
) -> Iterator[tuple[str, Usage]]:
    yield label, u
    if breakdown:
        for model, mu in sorted(models.items()):
            yield SUB + model, mu


def report_table(report: Report, breakdown: bool = False) -> str:
    labels = [b.label for b in report.buckets]
    names = short_labels(labels) if report.kind == "session" else {x: x for x in labels}
    if report.kind == "weekly":
        names = {x: f"{x} ({iso_week(datetime.fromisoformat(x).date())[5:]})" for x in labels}
    lines: list[tuple[str, Usage]] = []
    for b in report.buckets:
        lines.extend(_with_models(names[b.label], b.usage, b.models, breakdown))
    lines.append(("Total", report.totals.usage))
    table = fit_table(report.column.title(), lines, keep_end=report.kind == "project")
    if report.totals.usage.unpriced:
        table += "\n" + UNPRICED_NOTE
    return table


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _span(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _block_label(b: Block, report: BlocksReport, tz: ZoneInfo) -> str:
    marks = ("*" if b is report.active else "") + ("~" if b.from_ledgers else "")
    return f"{_local(b.start, tz)} {marks}".rstrip()


def blocks_table(report: BlocksReport, breakdown: bool = False) -> str:
    tz = ZoneInfo(report.timezone)
    lines: list[tuple[str, Usage]] = []
    for b in report.blocks:
        lines.extend(
            _with_models(_block_label(b, report, tz), b.bucket.usage, b.bucket.models, breakdown)
        )
    lines.append(("Total", report.totals.usage))
    out = [fit_table("Block", lines)]
    out.extend(_active_lines(report, tz))
    if any(b.from_ledgers for b in report.blocks):
        since = f"since {_local(report.logs_since, tz)}" if report.logs_since else "none"
        out.append(
            "~ estimated from ledger rows the logs no longer hold (each row's usage counts at its\n"
            f"  first response). Responses read from logs: {since}"
        )
    if report.totals.usage.unpriced:
        out.append(UNPRICED_NOTE)
    out.append(f"Blocks are {report.timezone} times; 5 hours each from the first response's hour.")
    return "\n".join(out)


def _active_lines(report: BlocksReport, tz: ZoneInfo) -> list[str]:
    now = _local(report.now, tz)
    b, burn = report.active, report.burn
    if b is None:
        return [f"No active block at {now}."]
    u = b.bucket.usage

    def money(value: Decimal) -> str:
        if not u.unpriced:
            return usd(value)
        return "≥" + usd(value) if u.priced_usd else "unpriced"

    end = b.end.astimezone(tz).strftime("%H:%M")
    lines = [
        f"* active block {_local(b.start, tz)} to {end}: now {now}, "
        f"{_span(b.end - report.now)} left",
        f"  so far: {u.tokens.total:,} tokens, {cost(u)} in {_span(report.now - b.start)}",
    ]
    if burn is not None:
        lines += [
            f"  burn rate: {round(burn.tokens_per_minute):,} tokens/min, "
            f"{money(burn.usd_per_hour)}/hour",
            f"  projected at {end}: {burn.projected_tokens:,} tokens, {money(burn.projected_usd)}",
        ]
    return lines
