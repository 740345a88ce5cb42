"""Reading one Claude Code log file from an offset: its responses, usage-limit events and
problems (`file:line: reason`), in big blocks rather than line by line.

Only the lines that hold `"usage"` are decoded; the others are only checked to look like
`{...}` (a line that does not, blank or CRLF or broken, is read as it always was). Each line
that may carry usage is decoded by `claude_fast.decide`
when a `fast` decider is given, else (and whenever it answers `CHECK`) by the checked reader,
`json.loads` + `claude_lines.line_candidate`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import BinaryIO

from tokenbook.events import LimitEvent
from tokenbook.sources.claude_reader import BadLine
from tokenbook.sources.claude_reader import limit_event
from tokenbook.sources.claude_reader import line_candidate
from tokenbook.sources.claude_records import Record
from tokenbook.sources.claude_records import fast_record
from tokenbook.sources.claude_records import join
from tokenbook.sources.claude_records import record

BLOCK = 8 << 20  # bytes read at once: whole files usually, long histories in a few blocks
MARK_BYTES = 4096
USAGE = b'"usage"'
Decide = Callable[[bytes], Any]  # claude_fast.decide: a record, None (nothing) or CHECK


@dataclass(slots=True)
class FileScan:
    """What one read of one file (from `start` to its end) found.

    `offset` and `lines` stop after the last complete line: an unfinished last line is read
    again next time, and its problems are kept apart in `tail`.
    """

    path: str
    start: int
    offset: int
    lines: int
    size: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    tail: list[tuple[int, str]] = field(default_factory=list)
    responses: dict[str, Record] = field(default_factory=dict)
    limits: dict[str, LimitEvent] = field(default_factory=dict)
    missing: bool = False
    failed: bool = False  # could not be read: tried again next time
    mark: bytes = b""  # hash of the bytes just before `offset`: tells an append from a rewrite
    keys: dict[str, None] = field(default_factory=dict)  # the responses found, in line order

    @property
    def read(self) -> int:
        return self.size - self.start


def scan(
    path: str,
    start: int = 0,
    lines: int = 0,
    fast: Decide | None = None,
    responses: dict[str, Record] | None = None,
) -> FileScan:
    """Read one file from byte `start` (line `lines` + 1); malformed lines become problems.
    `responses`: join what is found into this dict (shared by the files of one read)."""
    out = FileScan(path, start, start, lines, start)
    if responses is not None:
        out.responses = responses
    try:
        f = open(path, "rb", buffering=0)  # noqa: SIM115 - a vanished file: missing
    except FileNotFoundError:
        out.missing = True
        return out
    except OSError as e:
        return read_error(path, start, lines, e)
    with f:
        f.seek(start)
        pending: list[bytes] = []  # a line longer than one block, in pieces
        while data := f.read(BLOCK):
            if b"\n" not in data:
                pending.append(data)
                continue
            buf = b"".join([*pending, data]) if pending else data
            cut = buf.rfind(b"\n") + 1
            out.lines += _block(out, buf, cut, fast)
            out.offset += cut
            pending = [buf[cut:]] if cut < len(buf) else []
        rest = b"".join(pending)
        if rest:  # an unfinished last line: read, but again next time
            _one(out, rest, out.lines + 1, complete=False)
        out.size = out.offset + len(rest)
        out.mark = mark(f, out.offset)
    return out


def read_error(path: str, start: int, lines: int, e: OSError) -> FileScan:
    out = FileScan(path, start, start, lines, start)
    why = e.strerror or type(e).__name__
    out.skipped.append((0, f"cannot read this log ({why}); it is tried again at every sync"))
    out.failed = True
    return out


def mark(f: BinaryIO, offset: int) -> bytes:
    """A hash of the (up to) 4 KiB before `offset`: if they changed, the file was rewritten."""
    f.seek(max(0, offset - MARK_BYTES))
    data = f.read(offset - max(0, offset - MARK_BYTES))
    return hashlib.blake2b(data, digest_size=16).digest()


def _block(out: FileScan, buf: bytes, cut: int, fast: Decide | None) -> int:
    """Read the complete lines `buf[:cut]` (after line `out.lines`); return how many. Only lines
    with `"usage"` are decoded; the others are only checked to look like `{...}`."""
    find, number, begin = buf.find, out.lines, 0
    usage = find(USAGE, 0, cut)
    while begin < cut:
        end = find(b"\n", begin, cut)
        number += 1
        plain = buf[begin] == 123 and buf[end - 1] == 125  # `{...}`
        if begin <= usage < end:
            usage = find(USAGE, end, cut)
            if plain:
                _decide(out, buf[begin:end], number, fast)
            else:
                _one(out, buf[begin : end + 1], number, complete=True)
        elif not plain:
            _one(out, buf[begin : end + 1], number, complete=True)
        begin = end + 1
    return number - out.lines


def _decide(out: FileScan, line: bytes, number: int, fast: Decide | None) -> None:
    found = fast(line) if fast is not None else line
    if type(found) is tuple:
        _add(out, found)
    elif found is not None:  # `CHECK`, or no fast decider: the checked reader decides
        reason = _checked(out, line, complete=True)
        if reason is not None:
            _problem(out, number, reason, True)


def _one(out: FileScan, raw: bytes, number: int, complete: bool) -> None:
    reason = None
    if raw.startswith(b"{") and raw.endswith(b"}\n"):  # the usual line
        if USAGE in raw:
            reason = _checked(out, raw, complete)
    elif line := raw.strip():
        if USAGE in line:
            reason = _checked(out, line, complete)
        elif not (line.startswith(b"{") and line.endswith(b"}")):
            reason = _truncated(complete)
    if reason is not None:
        _problem(out, number, reason, complete)


def _checked(out: FileScan, line: bytes, complete: bool) -> str | None:
    """The checked reader: `json.loads`, then every counting rule; why the line is skipped."""
    try:
        obj = json.loads(line)
    except UnicodeDecodeError:
        reason: str | None = "not valid UTF-8; line skipped"
    except json.JSONDecodeError:
        reason = _truncated(complete)
    except (ValueError, RecursionError):  # a number of over 4300 digits, nesting too deep
        reason = "JSON too big to read (a huge number or deep nesting); line skipped"
    else:
        reason = _take(out, obj, _SURROGATE.search(line) is not None)
    return reason


def _problem(out: FileScan, number: int, reason: str, complete: bool) -> None:
    (out.skipped if complete else out.tail).append((number, reason))


def _add(out: FileScan, found: tuple[str, Record]) -> None:
    key, rec = found
    out.keys[key] = None
    known = out.responses.get(key)
    out.responses[key] = rec if known is None else join(known, rec)


def _take(out: FileScan, obj: Any, surrogates: bool = False) -> str | None:
    """Add a parsed line's response or usage-limit event to `out`; or say why it is skipped.
    `surrogates`: the line has a `\\ud800`-`\\udfff` escape, so its texts are checked."""
    fast = fast_record(obj)
    try:
        item = None if fast is not None else line_candidate(obj)
        limit = limit_event(obj) if fast is None and item is None else None
    except BadLine as e:
        return f"{e}; line skipped"
    if item is not None:
        fast = item.key, record(item)
    if surrogates and not _encodable(fast, limit):
        return "a text holds a lone surrogate (not valid Unicode); line skipped"
    if fast is not None:
        _add(out, fast)
    elif limit is not None:
        lkey, found = limit
        known_limit = out.limits.get(lkey)
        out.limits[lkey] = found if known_limit is None else min(known_limit, found)
    return None


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _encodable(found: tuple[str, Record] | None, limit: tuple[str, LimitEvent] | None) -> bool:
    texts: list[str] = []
    if found is not None:
        key, (usage, env, _) = found
        texts = [key, usage[2], usage[4], usage[5], *env[3:]]
    if limit is not None:
        texts += [limit[0], limit[1].session]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _truncated(complete: bool) -> str:
    if not complete:
        return "incomplete last line (the session may still be writing it); skipped for now"
    return "not a complete JSON object (truncated?); line skipped"
