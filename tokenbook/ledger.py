"""Ledgers: one markdown table per bet, the durable record of usage.

A row is a snapshot of one group's running total (session x day x model x agent x speed x
region x prompt band). A row's bytes depend only on that row, rows are sorted by key, and when
the same key appears twice (a union merge of two clones) readers keep the larger snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tokenbook.errors import Problem
from tokenbook.events import Tokens
from tokenbook.ledger_cells import check_header
from tokenbook.ledger_cells import escape
from tokenbook.ledger_cells import header_help
from tokenbook.ledger_cells import split_cells
from tokenbook.model import PROMPT_BANDS
from tokenbook.model import UNASSIGNED

if TYPE_CHECKING:
    from tokenbook.docs import Document

FORMAT = 1  # the format these rows were written in before format 2 (kept for migration)
SUMMARY_FORMAT = 2  # a markdown summary of `<bet>.tsv` (tokenbook.summary)
MANUAL_SOURCE = "manual"  # usage logged by hand (`tokenbook log`)
ITERATION = "iteration"  # the run of a logged entry the user counts as an iteration
COLUMNS = (
    "date",
    "session",
    "model",
    "agent",
    "speed",
    "geo",
    "prompt_over",
    "responses",
    "input",
    "output",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "web_search",
    "web_fetch",
    "first",
    "last",
    "project",
    "branch",
)
TOKEN_COLUMNS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
_BAND_TEXT = {0: "0", **{b: f"{b // 1000}k" for b in PROMPT_BANDS}}
_BAND_VALUE = {v: k for k, v in _BAND_TEXT.items()}
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})( |$)")
Key = tuple[str, str, str, str, str, str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerRow:
    date: date
    session: str
    model: str
    agent: str
    speed: str
    geo: str
    prompt_over: int
    responses: int
    tokens: Tokens
    web_search: int
    web_fetch: int
    first: datetime
    last: datetime
    project: str
    branch: str
    source: str = "claude-code"  # the agent the usage came from (not part of the key: ids differ)
    run: str = ""  # the run kind of its first response; `iteration` for `log --iteration`

    @property
    def key(self) -> Key:
        return (
            self.date.isoformat(),
            self.session,
            self.model,
            self.agent,
            self.speed,
            self.geo,
            self.prompt_over,
        )

    def rank(self) -> tuple[int, int, int, str]:
        """Which of two snapshots of one key is the later one: more responses, more tokens."""
        return (
            self.responses,
            self.tokens.total,
            self.web_search + self.web_fetch,
            format_row(self),
        )


def prompt_band(prompt_tokens: int) -> int:
    return max((b for b in PROMPT_BANDS if prompt_tokens > b), default=0)


_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})Z", re.ASCII)


def _time_text(t: datetime) -> str:
    # Not strftime("%Y"): it does not zero-pad years before 1000, which readers then reject.
    u = t.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def format_row(row: LedgerRow) -> str:
    return "| " + " | ".join(escape(v) for v in format_row_cells(row)) + " |"


def format_row_cells(row: LedgerRow) -> list[str]:
    """A format-1 row's cells as text, unescaped (kept as migrated history in format 2)."""
    return [
        row.date.isoformat(),
        row.session,
        row.model,
        row.agent,
        row.speed,
        row.geo,
        _BAND_TEXT[row.prompt_over],
        str(row.responses),
        *(str(getattr(row.tokens, c)) for c in TOKEN_COLUMNS),
        str(row.web_search),
        str(row.web_fetch),
        _time_text(row.first),
        _time_text(row.last),
        row.project,
        row.branch,
    ]


def format_ledger(ledger_id: str, timezone: str, rows: Iterable[LedgerRow]) -> str:
    what = (
        "usage that no bet claims" if ledger_id == UNASSIGNED else f"usage of bet [[{ledger_id}]]"
    )
    lines = [
        "---",
        f"ledger: {ledger_id}",
        f"timezone: {timezone}",
        f"format: {FORMAT}",
        "---",
        f"# Ledger: {ledger_id}",
        "",
        f"Written by `tokenbook sync`: {what}. One row per session, day ({timezone}), model,",
        "agent, speed, region and prompt band; token counts are measured from the logs and costs",
        "are computed from `pricing/` when reports are made. Do not edit rows by hand: to move a",
        "session to another bet, list it under `sessions:` in that bet's file.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *(format_row(r) for r in sorted(rows, key=lambda r: r.key)),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class ParsedLedger:
    ledger_id: str
    path: Path
    rows: tuple[LedgerRow, ...]  # format 1 only: format 2 keeps its rows in `<bet>.tsv`
    text: str
    format: int = FORMAT


def parse_row(cells: Mapping[str, str]) -> LedgerRow:
    """Raise ValueError with a readable reason when a cell does not parse."""

    def number(name: str) -> int:
        value = cells[name]
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"column `{name}` must be a whole number, got {value!r}")
        return int(value)

    def when(name: str) -> datetime:
        m = _TIME.fullmatch(cells[name])
        try:
            if m is None:
                raise ValueError
            year, month, day, hour, minute, second = map(int, m.groups())
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            raise ValueError(
                f"column `{name}` must be a UTC time like 2026-11-02T09:00:00Z, got {cells[name]!r}"
            ) from None

    try:
        day = date.fromisoformat(cells["date"])
    except ValueError:
        raise ValueError(f"column `date` must be YYYY-MM-DD, got {cells['date']!r}") from None
    if cells["prompt_over"] not in _BAND_VALUE:
        raise ValueError(
            f"column `prompt_over` must be one of {', '.join(_BAND_VALUE)}, "
            f"got {cells['prompt_over']!r}"
        )
    return LedgerRow(
        date=day,
        session=cells["session"],
        model=cells["model"],
        agent=cells["agent"],
        speed=cells["speed"],
        geo=cells["geo"],
        prompt_over=_BAND_VALUE[cells["prompt_over"]],
        responses=number("responses"),
        tokens=Tokens(**{c: number(c) for c in TOKEN_COLUMNS}),
        web_search=number("web_search"),
        web_fetch=number("web_fetch"),
        first=when("first"),
        last=when("last"),
        project=cells["project"],
        branch=cells["branch"],
    )


def parse_ledger(path: Path, label: str, timezone: str) -> ParsedLedger | list[Problem]:
    """Read one ledger file; any problem means the ledger must not be rewritten."""
    from tokenbook.docs import read_document  # YAML loads only when a summary is read

    doc = read_document(path, label)
    if isinstance(doc, Problem):
        return [doc]
    problems = check_header(doc.meta, path.stem, label, timezone)
    version = doc.meta.get("format", FORMAT)
    if version != FORMAT:
        return problems or _summary(doc, path, label, version)
    rows: list[LedgerRow] = []
    header: list[str] | None = None
    for offset, line in enumerate(doc.body.split("\n")):
        number = doc.body_line + offset
        if _CONFLICT.match(line):
            problems.append(Problem(label, number, _CONFLICT_HELP))
        elif line.startswith("|") and header is None:
            header = split_cells(line)
            unknown = [c for c in header if c not in COLUMNS]
            missing = [c for c in COLUMNS if c not in header]
            if unknown or missing:
                problems.append(Problem(label, number, header_help(unknown, missing, COLUMNS)))
                return problems
        elif line.startswith("|") and not set(line) <= set("|-: "):
            row = _parse_line(line, header or [], label, number)
            if isinstance(row, Problem):
                problems.append(row)
            else:
                rows.append(row)
    if problems:
        return problems
    return ParsedLedger(path.stem, path, tuple(rows), doc.path.read_text(encoding="utf-8"))


def _summary(
    doc: Document, path: Path, label: str, version: object
) -> ParsedLedger | list[Problem]:
    """A format-2 markdown ledger: a summary written from its records, nothing to read."""
    if version != SUMMARY_FORMAT:
        return [
            Problem(
                label,
                doc.line("format"),
                f"ledger format {version!r} is not one this tokenbook reads (1 or 2); "
                "upgrade tokenbook, or restore the file from git",
            )
        ]
    return ParsedLedger(path.stem, path, (), doc.path.read_text(encoding="utf-8"), SUMMARY_FORMAT)


_CONFLICT_HELP = (
    "git merge-conflict marker in a ledger; keep the rows of both sides, delete the marker "
    "lines, and add `ledgers/*.md merge=union` and `ledgers/*.tsv merge=union` to .gitattributes "
    "so git merges ledgers by itself"
)


def _parse_line(line: str, header: list[str], label: str, number: int) -> LedgerRow | Problem:
    cells = split_cells(line)
    if not header:
        return Problem(label, number, "a table row before the table header; restore the header")
    if len(cells) != len(header):
        return Problem(
            label,
            number,
            f"row has {len(cells)} cells, the header {len(header)}; "
            "restore the row from git (`git log -p` on this file)",
        )
    try:
        return parse_row(dict(zip(header, cells, strict=True)))
    except ValueError as e:
        return Problem(label, number, f"{e}; restore the row from git (`git log -p` on this file)")
