"""`limits.md`: the usage-limit notices Claude Code wrote into the logs, kept in the vault.

Append-only and union-mergeable like the ledgers: one row per notice keyed by (time, session),
sorted, each row's bytes depending only on the row. Readers drop duplicate keys (keeping the
latest reset time), and the next sync rewrites the file canonically. The session id comes from a
log, so its cell is escaped (`escape.cell`: pipes, newlines, markup, invisible characters) and
read back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Protocol

from tokenbook.errors import Problem
from tokenbook.errors import VaultError
from tokenbook.escape import cell
from tokenbook.escape import split_row
from tokenbook.escape import uncell
from tokenbook.fileio import FileError
from tokenbook.fileio import write_in_vault

LIMITS_FILE = "limits.md"
HEADER = """# Usage limits

> Written by `tokenbook sync` from Claude Code's "usage limit reached" notices; do not edit.
> Times are UTC; `reset_at` is when Claude Code said the limit resets.

| at | reset_at | session |
|---|---|---|
"""


class LimitNotice(Protocol):
    """What a log source reports (`events.LimitEvent`)."""

    @property
    def at(self) -> datetime: ...
    @property
    def reset_at(self) -> datetime | None: ...
    @property
    def session(self) -> str: ...


@dataclass(frozen=True, slots=True, order=True)
class LimitRecord:
    at: datetime
    session: str
    reset_at: datetime | None = None


def _utc(t: datetime | None) -> str:
    if t is None:
        return ""
    u = t.astimezone(UTC)  # not strftime: it does not zero-pad years before 1000
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def _second(t: datetime | None) -> datetime | None:
    """UTC, whole seconds: what the file keeps, so a re-read row has the same key."""
    return t.astimezone(UTC).replace(microsecond=0) if t else None


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def read_limits(root: Path) -> tuple[list[LimitRecord], list[Problem]]:
    path = root / LIMITS_FILE
    if not path.is_file():
        return [], []
    records, problems = [], []
    for n, line in enumerate(_read(path).split("\n"), 1):
        cells = split_row(line)
        if not line.startswith("|") or cells[0] in ("at", "---"):
            continue
        try:
            at = _time(cells[0])
            if at is None or len(cells) != 3:
                raise ValueError
            records.append(LimitRecord(at=at, session=uncell(cells[2]), reset_at=_time(cells[1])))
        except (ValueError, OverflowError):
            problems.append(
                Problem(
                    str(path), n, "not a limit row `| at | reset_at | session |`; delete the line"
                )
            )
    return merge_limits(records, ()), problems


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise VaultError(
            [
                Problem(
                    str(path), 0, f"not valid UTF-8 ({e.reason}); delete the file, sync rewrites it"
                )
            ]
        ) from None
    except OSError as e:
        raise FileError(path, e, "read this file") from None


def merge_limits(known: Iterable[LimitRecord], new: Iterable[LimitNotice]) -> list[LimitRecord]:
    by_key: dict[tuple[datetime, str], LimitRecord] = {}
    fresh = [
        LimitRecord(
            at=e.at.astimezone(UTC).replace(microsecond=0),
            session=e.session,
            reset_at=_second(e.reset_at),
        )
        for e in new
    ]
    for r in [*known, *fresh]:
        old = by_key.get((r.at, r.session))
        if old is None or _utc(r.reset_at) > _utc(old.reset_at):
            by_key[(r.at, r.session)] = r
    return sorted(by_key.values())


def format_limits(records: Iterable[LimitRecord]) -> str:
    rows = "".join(f"| {_utc(r.at)} | {_utc(r.reset_at)} | {cell(r.session)} |\n" for r in records)
    return HEADER + rows


def write_limits(root: Path, records: list[LimitRecord]) -> bool:
    """Write `limits.md` when there is something to record or it exists already."""
    if not records and not (root / LIMITS_FILE).exists():
        return False
    return write_in_vault(root, root / LIMITS_FILE, format_limits(records))


def load_limits(root: Path) -> list[LimitRecord]:
    """`limits.md`'s rows; a malformed row stops the run before anything is written."""
    records, problems = read_limits(root)
    if problems:
        raise VaultError(problems)
    return records
