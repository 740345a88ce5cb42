"""A typed decoder for the usual Claude Code log line: the same answer as the checked reader,
about ten times faster, or no answer at all.

`decide(line)` decodes only the fields the counting rules read (msgspec typed structs; the
message text, tool inputs and outputs are skipped unread) and returns the line's response record,
`NOTHING` for a line that counts nothing, or `CHECK` when the line is anything but plain: not
ASCII nor clean UTF-8, a lone `\\ud800` escape (msgspec refuses it), an integer too long for
`json`, deep nesting, a field of an unexpected type, a token count out of range, no `message.id`,
an odd timestamp, a `<synthetic>` line (usage-limit notices). A `CHECK` line goes to the checked
reader (`json.loads` + `claude_reader.line_candidate`), so there is one set of counting rules, and
tests compare both readers line by line on the synthetic corpus and on every hand-written log.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC
from datetime import datetime
from typing import Final

import msgspec

from tokenbook.sources.claude_reader import EARLIEST
from tokenbook.sources.claude_reader import LATEST
from tokenbook.sources.claude_reader import MAX_TOKENS
from tokenbook.sources.claude_reader import STANDARD_GEO
from tokenbook.sources.claude_reader import SYNTHETIC
from tokenbook.sources.claude_reader import micros
from tokenbook.sources.claude_records import Record
from tokenbook.sources.claude_records import Usage


class _Split(msgspec.Struct, gc=False):
    ephemeral_5m_input_tokens: int | None = None
    ephemeral_1h_input_tokens: int | None = None


class _Tools(msgspec.Struct, gc=False):
    web_search_requests: int | None = None
    web_fetch_requests: int | None = None


class _Usage(msgspec.Struct, gc=False):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: _Split | None = None
    server_tool_use: _Tools | None = None
    speed: str | None = None
    inference_geo: str | None = None


class _Message(msgspec.Struct, gc=False):
    id: str | None = None
    model: str | None = None
    usage: _Usage | None = None


class _Inner(msgspec.Struct, gc=False):
    """The assistant line an `agent_progress` line nests (its place is the outer line's)."""

    type: str | None = None
    message: _Message | None = None
    timestamp: str | None = None
    requestId: str | None = None
    agentId: str | None = None


class _Data(msgspec.Struct, gc=False):
    type: str | None = None
    message: _Inner | None = None
    agentId: str | None = None


class _Line(msgspec.Struct, gc=False):
    type: str | None = None
    message: _Message | None = None
    timestamp: str | None = None
    requestId: str | None = None
    sessionId: str | None = None
    cwd: str | None = None
    gitBranch: str | None = None
    agentId: str | None = None
    isSidechain: bool | None = None
    data: _Data | None = None


class _Check:
    """The answer `decide` gives a line it leaves to the checked reader."""


CHECK: Final = _Check()
NOTHING: Final = None
Decided = tuple[str, Record] | _Check | None

_decode = msgspec.json.Decoder(_Line).decode
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
# `json` refuses integers longer than this (ValueError); msgspec reads them.
_MAX_DIGITS = sys.get_int_max_str_digits()
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
# `json` and msgspec stop at nearly the same depth (about 990 on Python 3.11, more on later
# versions): a line that could nest half as deep is left to `json`.
_MAX_BRACKETS = 500
_GUARD_LENGTH = 2 * _MAX_BRACKETS


def decide(line: bytes) -> Decided:
    """The record of one log line (`{...}`, no newline), `NOTHING`, or `CHECK`."""
    if not line.isascii() and _odd_text(line):
        return CHECK
    if len(line) > _GUARD_LENGTH and _too_big(line):
        return CHECK
    try:
        obj = _decode(line)
    except (msgspec.DecodeError, RecursionError):
        return CHECK
    if obj.type == "assistant":
        return _response(obj.message, obj, obj, obj.agentId or "", copy=False)
    data = obj.data
    if obj.type == "progress" and data is not None and data.type == "agent_progress":
        inner = data.message
        if inner is None or inner.type != "assistant":
            return NOTHING
        return _response(inner.message, inner, obj, inner.agentId or data.agentId or "", copy=True)
    return NOTHING


def _odd_text(line: bytes) -> bool:
    """Not UTF-8 (`json` says so), or an encoded surrogate (`json` keeps it; msgspec may not)."""
    try:
        line.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return True
    return b"\xed" in line and _ENCODED_SURROGATE.search(line) is not None


def _too_big(line: bytes) -> bool:
    if line.count(b"[") + line.count(b"{") > _MAX_BRACKETS:
        return True
    if not _MAX_DIGITS or len(line) <= _MAX_DIGITS:
        return False
    return b"0" * (_MAX_DIGITS + 1) in line.translate(_DIGITS_TO_ZERO)


def _response(
    message: _Message | None, line: _Line | _Inner, place: _Line, agent: str, *, copy: bool
) -> Decided:
    """`line` holds the message, time and request id; `place` the session, cwd and branch (the
    outer line of an `agent_progress` copy)."""
    if message is None:
        return NOTHING
    usage, model = message.usage, message.model or ""
    if model == SYNTHETIC:
        return CHECK  # usage-limit notices are read by the checked reader
    if usage is None:
        return NOTHING
    if not message.id or line.timestamp is None:
        return CHECK
    found = _usage(usage, model or "unknown")
    at = _micros(line.timestamp)
    if found is None or at is None:
        return CHECK
    sidechain = copy or place.isSidechain is True
    envelope = (
        copy,
        at,
        sidechain,
        place.sessionId or "",
        place.cwd or "",
        place.gitBranch or "",
        agent,
    )
    return f"{message.id}\x00{line.requestId or ''}", (found, envelope, not sidechain)


def _usage(u: _Usage, model: str) -> Usage | None:
    i, o = u.input_tokens, u.output_tokens
    cw, cr = u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0
    split, tools = u.cache_creation, u.server_tool_use
    if split is None:
        w5, w1 = cw, 0
    else:
        w5 = split.ephemeral_5m_input_tokens or 0
        w1 = split.ephemeral_1h_input_tokens or 0
    ws = wf = 0
    if tools is not None:
        ws, wf = tools.web_search_requests or 0, tools.web_fetch_requests or 0
    counts = (i, o, cw, cr, w5, w1, ws, wf)
    if min(counts) < 0 or max(counts) > MAX_TOKENS:
        return None
    if split is not None:
        w5 += max(0, cw - w5 - w1)
    speed = "fast" if u.speed == "fast" else "standard"
    geo = u.inference_geo
    if geo is not None:
        geo = geo.lower()
    geo = "" if geo is None or geo in STANDARD_GEO else geo
    return (o, i + w5 + w1 + cr + o, model, (i, o, w5, w1, cr), speed, geo, ws, wf)


_MINUTES: dict[str, int] = {}


def _micros(ts: str) -> int | None:
    """µs since the epoch of a log time, or None where the checked reader must look (not ISO,
    outside 2000-2099). The usual `2026-11-02T09:00:00.123Z` is read against a cache of
    minutes, each filled by the exact reading of the first time seen in it."""
    if len(ts) == 24 and ts[23] == "Z" and ts[19] == "." and ts[16] == ":":
        digits = ts[17:19] + ts[20:23]
        if digits.isascii() and digits.isdigit() and digits < "6":
            within = int(digits) * 1000
            minute = _MINUTES.get(ts[:16])
            if minute is None:
                exact = _exact(ts)
                if exact is None:
                    return None
                minute = _MINUTES[ts[:16]] = exact - within
            return minute + within
    return _exact(ts)


def _exact(ts: str) -> int | None:
    """What the checked reader makes of a time (`claude_lines._time`), None where it refuses."""
    try:
        at = datetime.fromisoformat(ts)
    except ValueError:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return micros(at) if EARLIEST <= at < LATEST else None


__all__ = ["CHECK", "NOTHING", "Decided", "decide"]
