"""Reading helpers the agent sources share: checked counts, UTC times, JSON lines and files.

A value that cannot be trusted raises `Bad` (its message is the reason the record is skipped);
reading a file never raises: what cannot be read becomes a `Skipped` problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenbook.events import Skipped

MAX_TOKENS = 100_000_000  # per field of one response; more is not a real API response
# Log times outside these are a wrong clock: counted, they would move every "as of" day.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MS_THRESHOLD = 10_000_000_000  # an epoch number above this is milliseconds


class Bad(ValueError):
    """A record that should carry usage but cannot be read; the message is the reason."""


def count(obj: Mapping[str, Any], name: str, where: str = "") -> int:
    """A token count: a whole number in 0..MAX_TOKENS, 0 when absent or null."""
    value = obj.get(name)
    if value is None:
        return 0
    label = f"{where}.{name}" if where else name
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise Bad(f"{label} is {type(value).__name__}, expected a whole number")
    if not 0 <= value <= MAX_TOKENS:
        raise Bad(f"{label} = {value} is out of range")
    return value


def utc(value: Any, what: str = "timestamp") -> datetime:
    """An ISO-8601 text or an epoch number (seconds, or milliseconds above 1e10) as UTC."""
    if isinstance(value, bool) or value is None:
        raise Bad(f"{what} is missing")
    if isinstance(value, int | float):
        seconds = value / 1000 if value > MS_THRESHOLD else value
        try:
            at = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise Bad(f"{what} {value!r} is not a time") from None
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise Bad(f"{what} {value[:40]!r} is not an ISO-8601 time") from None
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    else:
        raise Bad(f"{what} is {type(value).__name__}, expected a time")
    if not EARLIEST <= at < LATEST:
        raise Bad(f"{what} {str(value)[:40]!r} is outside 2000-2099 (a wrong clock?)")
    return at


def text(obj: Any, *path: str) -> str:
    """The string at `path` inside nested mappings, "" when absent or not a string.

    Only for metadata (ids, names, paths); a lone surrogate raises `Bad`, since a ledger
    must be valid UTF-8."""
    for name in path:
        if not isinstance(obj, Mapping):
            return ""
        obj = obj.get(name)
    if not isinstance(obj, str):
        return ""
    try:
        obj.encode("utf-8")
    except UnicodeEncodeError:
        raise Bad(f"{'.'.join(path)} holds a lone surrogate (not valid Unicode)") from None
    return obj.strip()


def mapping(obj: Any, *path: str) -> Mapping[str, Any]:
    """The mapping at `path`, or an empty one."""
    for name in path:
        if not isinstance(obj, Mapping):
            return {}
        obj = obj.get(name)
    return obj if isinstance(obj, Mapping) else {}


def walk(roots: Iterable[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Every regular file below `roots` whose name ends with one of `suffixes`, sorted.

    Symlinked folders are not followed (a loop would never end)."""
    out: set[str] = set()
    for root in roots:
        for folder, _, names in os.walk(root):
            out.update(os.path.join(folder, n) for n in names if n.endswith(suffixes))
    return sorted(Path(p) for p in out if os.path.isfile(p))


def read_bytes(path: Path, skipped: list[Skipped]) -> bytes | None:
    """The file's bytes, or None with the reason added to `skipped`."""
    try:
        return path.read_bytes()
    except OSError as e:
        skipped.append(Skipped(str(path), 0, f"cannot read the file ({e.strerror or e}); skipped"))
        return None


def json_lines(
    path: Path, data: bytes, skipped: list[Skipped], keep: tuple[bytes, ...] = ()
) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for each non-blank line; bad lines go to `skipped`.

    With `keep`, a complete-looking line (`{...}`) holding none of those byte strings is not
    parsed at all: the agents' text lines are the big ones, and they carry no usage."""
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if keep and line[:1] == b"{" and line[-1:] == b"}" and not any(k in line for k in keep):
            continue
        try:
            yield number, json.loads(line)
        except UnicodeDecodeError:
            skipped.append(Skipped(str(path), number, "not valid UTF-8; line skipped"))
        except (ValueError, RecursionError):
            last = number == len(lines)  # no newline after it: still being written
            why = (
                "incomplete last line (the agent may still be writing it); skipped for now"
                if last
                else "not a complete JSON object (truncated?); line skipped"
            )
            skipped.append(Skipped(str(path), number, why))


def json_file(path: Path, data: bytes, skipped: list[Skipped]) -> Any:
    """The parsed document, or None with the reason added to `skipped`."""
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        skipped.append(Skipped(str(path), 0, "not valid UTF-8; file skipped"))
    except (ValueError, RecursionError):
        skipped.append(Skipped(str(path), 0, "not valid JSON (truncated?); file skipped"))
    return None
