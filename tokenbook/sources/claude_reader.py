"""Claude Code log lines → what they say about one API response (the counting rules).

Counting rules (docs/ledgers.md, "How usage is counted"): only assistant lines with
`message.usage` count (also those nested in `agent_progress` lines); one response per
`(message.id, requestId)` across all files; its tokens and model come from the line with the
largest `output_tokens`, its time, session, project and branch from its earliest line;
`<synthetic>` counts nothing; a sidechain replay of a main-thread message under a new requestId
is dropped. This is the checked reader: every field is checked, every refusal has a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from tokenbook.events import LimitEvent
from tokenbook.events import Tokens

NAME = "claude-code"
MAX_TOKENS = 100_000_000  # per field of one response; more is not a real API response
SYNTHETIC = "<synthetic>"
# Log times outside these are a wrong clock: counted, they would move every "as of" day.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# `usage.inference_geo` values that mean the standard price (real 2.1.4x+ logs write
# `not_available` or `""`); only another region (`us`) can carry a multiplier.
STANDARD_GEO = frozenset({"", "global", "not_available"})
LIMIT_TEXT = "Claude AI usage limit reached|"


def geo_of(value: object) -> str:
    geo = value.lower() if isinstance(value, str) else ""
    return "" if geo in STANDARD_GEO else geo


def micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


class BadLine(ValueError):
    """A line that should carry usage but cannot be read; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One log line's view of one API response."""

    key: str
    message_id: str
    at: datetime
    session: str
    model: str
    tokens: Tokens
    cwd: str
    branch: str
    sidechain: bool
    agent_id: str
    speed: str
    geo: str
    web_search: int
    web_fetch: int
    copy: bool = False  # read from an `agent_progress` copy in the parent's file

    def usage_rank(self) -> tuple[int, int, str, Tokens, str, str, int, int]:
        """Order-independent choice of the line whose usage counts: the largest output."""
        t = self.tokens
        return (
            t.output,
            t.total,
            self.model,
            t,
            self.speed,
            self.geo,
            self.web_search,
            self.web_fetch,
        )

    def envelope_rank(self) -> tuple[bool, datetime, bool, str, str, str]:
        return (self.copy, self.at, self.sidechain, self.session, self.cwd, self.branch)


def _int(usage: Mapping[str, Any], name: str, required: bool = False) -> int:
    value = usage.get(name)
    if value is None:
        if required:
            raise BadLine(f"usage.{name} is missing")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadLine(f"usage.{name} is {type(value).__name__}, expected a whole number")
    if value < 0 or value > MAX_TOKENS:
        raise BadLine(f"usage.{name} = {value} is out of range")
    return value


def _tokens(usage: Mapping[str, Any]) -> Tokens:
    cache_write = _int(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    if isinstance(split, Mapping):
        w5, w1 = _int(split, "ephemeral_5m_input_tokens"), _int(split, "ephemeral_1h_input_tokens")
        w5 += max(0, cache_write - w5 - w1)
    else:
        w5, w1 = cache_write, 0
    return Tokens(
        input=_int(usage, "input_tokens", required=True),
        output=_int(usage, "output_tokens", required=True),
        cache_write_5m=w5,
        cache_write_1h=w1,
        cache_read=_int(usage, "cache_read_input_tokens"),
    )


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadLine("timestamp is missing")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadLine("timestamp is not an ISO-8601 time") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        raise BadLine("timestamp is outside 2000-2099 (a wrong clock?)")
    return at


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def candidate(
    line: Mapping[str, Any], sidechain: bool = False, outer: Mapping[str, Any] | None = None
) -> Candidate | None:
    """The usage an assistant line carries; None when it carries none that counts. `outer`:
    the `progress` line an `agent_progress` copy is nested in, which holds its session, cwd
    and branch (the nested wrapper has none)."""
    message = line.get("message")
    if not isinstance(message, Mapping):
        return None
    usage = message.get("usage")
    model = _text(message, "model")
    if not isinstance(usage, Mapping) or model == SYNTHETIC:
        return None
    message_id = _text(message, "id")
    if not message_id:
        raise BadLine("assistant line with usage but no message.id; cannot deduplicate it")
    tokens = _tokens(usage)
    at = _time(line.get("timestamp"))
    tools = usage.get("server_tool_use")
    tools = tools if isinstance(tools, Mapping) else {}
    place = outer if outer is not None else line
    return Candidate(
        key=f"{message_id}\x00{_text(line, 'requestId')}",
        message_id=message_id,
        at=at,
        session=_text(place, "sessionId"),
        model=model or "unknown",
        tokens=tokens,
        cwd=_text(place, "cwd"),
        branch=_text(place, "gitBranch"),
        sidechain=sidechain or line.get("isSidechain") is True,
        agent_id=_text(line, "agentId"),
        speed="fast" if usage.get("speed") == "fast" else "standard",
        geo=geo_of(usage.get("inference_geo")),
        copy=outer is not None,
        web_search=_int(tools, "web_search_requests"),
        web_fetch=_int(tools, "web_fetch_requests"),
    )


def line_candidate(obj: Any) -> Candidate | None:
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    kind = obj.get("type")
    if kind == "assistant":
        return candidate(obj)
    if kind == "progress":
        data = obj.get("data")
        if isinstance(data, Mapping) and data.get("type") == "agent_progress":
            nested = data.get("message")
            if isinstance(nested, Mapping) and nested.get("type") == "assistant":
                found = candidate(nested, sidechain=True, outer=obj)
                if found and not found.agent_id:
                    found = _with_agent(found, _text(data, "agentId"))
                return found
    return None


def _with_agent(c: Candidate, agent_id: str) -> Candidate:
    return replace(c, agent_id=agent_id)


def limit_event(line: Mapping[str, Any]) -> tuple[str, LimitEvent] | None:
    """`Claude AI usage limit reached|<unix-seconds>` written by Claude Code as a synthetic line."""
    message = line.get("message")
    if line.get("type") != "assistant" or not isinstance(message, Mapping):
        return None
    if message.get("model") != SYNTHETIC:
        return None
    content = message.get("content")
    texts: list[Any] = [content]
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, Mapping)]
    for text in texts:
        if isinstance(text, str) and text.startswith(LIMIT_TEXT):
            reset = text[len(LIMIT_TEXT) :].strip()
            if not (reset.isascii() and reset.isdigit()):
                raise BadLine("usage-limit line whose reset time is not a number of seconds")
            at = _time(line.get("timestamp"))
            key = _text(message, "id") or f"{at.isoformat()}\x00{_text(line, 'sessionId')}"
            try:
                reset_at = datetime.fromtimestamp(int(reset), UTC)
            except (OverflowError, OSError, ValueError):
                raise BadLine("usage-limit line with a reset time out of range") from None
            return key, LimitEvent(at=at, reset_at=reset_at, session=_text(line, "sessionId"))
    return None
