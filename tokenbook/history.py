"""Which months the logs already hold usage in, cheaply: for `tokenbook init` to offer cycles.

Each log is one session (resumed sessions append to it), so its first and last usage lines
bound it in time; only those are read (the file's first and last 256 KiB), never the text of any
message. A session that spans months counts in every month between its first and last usage.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tokenbook.sources.claude_code import EARLIEST
from tokenbook.sources.claude_code import LATEST

CHUNK = 256 * 1024


def _times(lines: Iterable[bytes]) -> Iterator[datetime]:
    """The timestamps of the usage lines among `lines`."""
    for line in lines:
        if b'"usage"' not in line or b'"timestamp"' not in line:
            continue
        try:
            stamp = json.loads(line).get("timestamp")
            at = datetime.fromisoformat(stamp)
        except (ValueError, TypeError, AttributeError):
            continue
        if at.tzinfo is not None and EARLIEST <= at < LATEST:
            yield at


def _ends(path: Path) -> tuple[list[bytes], list[bytes]] | None:
    """The complete lines of a log's first and last CHUNK bytes (the same lines if small)."""
    try:
        with open(path, "rb") as f:
            head = f.read(CHUNK)
            size = os.fstat(f.fileno()).st_size
            if size <= CHUNK:
                lines = head.split(b"\n")
                return lines, lines
            f.seek(max(size - CHUNK, CHUNK))
            tail = f.read()
    except OSError:
        return None
    return head.split(b"\n")[:-1], tail.split(b"\n")[1:]


def span(path: Path) -> tuple[datetime, datetime] | None:
    """The first and last usage times in one log, None when it has none (or cannot be read)."""
    ends = _ends(path)
    if ends is None:
        return None
    head, tail = ends
    first = next(_times([*head, *tail]), None)
    last = next(_times(reversed([*head, *tail])), None)
    if first is None or last is None:
        return None
    return min(first, last), max(first, last)


def _months(start: date, end: date) -> Iterator[date]:
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)


def usage_months(files: Iterable[Path], timezone: str) -> list[date]:
    """The first day of every month (in `timezone`) with usage in the logs, sorted."""
    tz = ZoneInfo(timezone)
    months: set[date] = set()
    for path in files:
        found = span(path)
        if found is not None:
            first, last = (t.astimezone(tz).date() for t in found)
            months.update(_months(first, last))
    return sorted(months)
