"""Plain-text report tables: right-aligned numbers with thousands separators, fitted to the width
they are given (see `tokenbook.layout`: cache columns go first, then numbers are abbreviated)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokenbook.escape import terminal
from tokenbook.filters import compact
from tokenbook.filters import cost
from tokenbook.layout import SUB
from tokenbook.layout import Column
from tokenbook.layout import fit
from tokenbook.localdays import iso_week
from tokenbook.money import amount
from tokenbook.money import unpriced_note
from tokenbook.reports import Bucket
from tokenbook.reports import Report
from tokenbook.reports import Usage
from tokenbook.term import BOLD
from tokenbook.term import paint

if TYPE_CHECKING:  # `report blocks` alone shows blocks
    from tokenbook.blocks import Block
    from tokenbook.blocks import BlocksReport

SHORT = 8
WIDTH = 100
NARROWEST_LABEL = 12
NARROWEST_MODELS = 10
# header, drop level (0: always shown), the Usage's token count
NUMBERS = (
    ("Input", 3, lambda u: u.tokens.input),
    ("Output", 4, lambda u: u.tokens.output),
    ("Cache write", 1, lambda u: u.tokens.cache_write),
    ("Cache read", 2, lambda u: u.tokens.cache_read),
    ("Total", 0, lambda u: u.tokens.total),
)
DATED = re.compile(r"-\d{8}$")


def short_labels(labels: Sequence[str], least: int = SHORT) -> dict[str, str]:
    """The first `least` characters and `…`, longer only where two labels share that prefix
    (the shortest prefix that tells each label apart). Sorted, a label shares its longest
    prefix with a neighbour, so this is O(n log n)."""
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


def short_model(model: str) -> str:
    """`claude-sonnet-4-5-20250929` → `sonnet-4-5`."""
    return DATED.sub("", model.removeprefix("claude-"))


@dataclass(frozen=True, slots=True)
class Line:
    """One table line: its text cells before the numbers, and the usage they total."""

    texts: tuple[str, ...]
    usage: Usage


def _columns(headers: Sequence[Column], lines: Sequence[Line]) -> list[Column]:
    """The text columns (their cells filled in from `lines`) and the number columns."""
    # Control characters (escape sequences from a log's text) are shown as `\xNN`.
    cols = [
        replace(h, cells=[terminal(ln.texts[i], keep_newlines=False) for ln in lines])
        for i, h in enumerate(headers)
    ]
    for header, level, count in NUMBERS:
        values = [count(ln.usage) for ln in lines]
        cols.append(
            Column(
                header=header,
                cells=[f"{v:,}" for v in values],
                short=[compact(v) for v in values],
                right=True,
                drop=level,
            )
        )
    cols.append(Column(header="Cost", cells=[cost(ln.usage) for ln in lines], right=True))
    return cols


def _with_models(texts: tuple[str, ...], b: Bucket, breakdown: bool, at: int = 0) -> Iterator[Line]:
    """A bucket's line, and with `breakdown` a line per model (its name in column `at`)."""
    yield Line(texts, b.usage)
    if breakdown:
        for model, mu in sorted(b.models.items()):
            sub = [""] * len(texts)
            sub[at] = short_model(model) if at else SUB + model  # other cells empty: a sub-line
            yield Line(tuple(sub), mu)


def _notes(usage: Usage, width: int) -> list[str]:
    if not usage.unpriced:
        return []
    note = unpriced_note(usage.unpriced_tokens, usage.unpriced_models)
    return [textwrap.fill(note, width, subsequent_indent="   ", break_on_hyphens=False)]


def _finish(lines: list[str], notes: list[str], colour: bool) -> str:
    if colour:
        lines = [paint(lines[0], BOLD, True), *lines[1:]]
    return "\n".join(lines + notes)


def report_table(
    report: Report,
    breakdown: bool = False,
    width: int = WIDTH,
    colour: bool = False,
    timezone: str = "UTC",
) -> str:
    if report.kind == "session":
        return session_table(report, breakdown, width, colour, timezone)
    labels = [b.label for b in report.buckets]
    names = {x: x for x in labels}
    if report.kind == "weekly":
        names = {x: f"{x} ({iso_week(datetime.fromisoformat(x).date())[5:]})" for x in labels}
    lines = [ln for b in report.buckets for ln in _with_models((names[b.label],), b, breakdown)]
    lines.append(Line(("Total",), report.totals.usage))
    path = report.kind == "project"
    label = Column(header=report.column.title(), cells=(), clip=NARROWEST_LABEL, keep_end=path)
    table = fit(_columns([label], lines), width)
    return _finish(table, _notes(report.totals.usage, width), colour)


def session_table(report: Report, breakdown: bool, width: int, colour: bool, timezone: str) -> str:
    """Sessions with the day of their last response, their projects and models, and cost."""
    tz = ZoneInfo(timezone)
    names = short_labels([b.label for b in report.buckets])
    lines: list[Line] = []
    for b in report.buckets:
        day = b.last.astimezone(tz).date().isoformat() if b.last else ""
        models = ", ".join(short_model(m) for m in sorted(b.models))
        texts = (names[b.label], day, ", ".join(sorted(b.projects)), models)
        lines.extend(_with_models(texts, b, breakdown, at=3))
    lines.append(Line(("Total", "", "", ""), report.totals.usage))
    headers = [
        Column(header="Session", cells=()),
        Column(header="Date", cells=()),
        Column(header="Project", cells=(), clip=NARROWEST_LABEL, keep_end=True),
        # A --breakdown names each model in this column: it stays then.
        Column(header="Models", cells=(), clip=NARROWEST_MODELS, drop=0 if breakdown else 5),
    ]
    table = fit(_columns(headers, lines), width)
    return _finish(table, _notes(report.totals.usage, width), colour)


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _span(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _block_label(b: Block, report: BlocksReport, tz: ZoneInfo) -> str:
    marks = ("*" if b is report.active else "") + ("~" if b.from_ledgers else "")
    return f"{_local(b.start, tz)} {marks}".rstrip()


def blocks_table(
    report: BlocksReport, breakdown: bool = False, width: int = WIDTH, colour: bool = False
) -> str:
    tz = ZoneInfo(report.timezone)
    lines: list[Line] = []
    for b in report.blocks:
        lines.extend(_with_models((_block_label(b, report, tz),), b.bucket, breakdown))
    lines.append(Line(("Total",), report.totals.usage))
    label = Column(header="Block", cells=(), clip=NARROWEST_LABEL)
    out = fit(_columns([label], lines), width)
    out.extend(_active_lines(report, tz))
    if any(b.from_ledgers for b in report.blocks):
        since = f"since {_local(report.logs_since, tz)}" if report.logs_since else "none"
        out.append(
            "~ estimated from ledger rows the logs no longer hold (each row's usage counts at its\n"
            f"  first response). Responses read from logs: {since}"
        )
    notes = _notes(report.totals.usage, width)
    notes.append(
        f"Blocks are {report.timezone} times; 5 hours each from the first response's hour."
    )
    return _finish(out, notes, colour)


def _active_lines(report: BlocksReport, tz: ZoneInfo) -> list[str]:
    now = _local(report.now, tz)
    b, burn = report.active, report.burn
    if b is None:
        return [f"No active block at {now}."]
    u = b.bucket.usage

    def money(value: Decimal) -> str:
        return amount(value, bool(u.unpriced))

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
    if u.unpriced:
        lines.append(f"  ≥: {u.unpriced_tokens:,} tokens of this block have no price")
    return lines
