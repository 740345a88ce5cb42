"""Claude Code transcripts (`<config>/projects/**/*.jsonl`) → one UsageEvent per API response.

Counting rules (README, "How usage is counted"): only assistant lines with `message.usage`
count (also those nested in `agent_progress` lines); one response per `(message.id, requestId)`
across all files; its tokens and model come from the line with the largest `output_tokens`, its
time, session, project and branch from its earliest line; `<synthetic>` counts nothing; a
sidechain replay of a main-thread message under a new requestId is dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenbook.events import Skipped
from tokenbook.events import Tokens
from tokenbook.events import UsageEvent

NAME = "claude-code"
MAX_TOKENS = 100_000_000  # per field of one response; more is not a real API response
SYNTHETIC = "<synthetic>"


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`CLAUDE_CONFIG_DIR` (a comma-separated list), else ~/.config/claude and ~/.claude."""
    listed = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    return [home / ".config" / "claude", home / ".claude"]


def discover(dirs: Iterable[Path]) -> list[Path]:
    """Every `projects/**/*.jsonl` below the given config dirs, subagent files included."""
    found: set[Path] = set()
    for d in dirs:
        projects = d / "projects"
        if projects.is_dir():
            found.update(p for p in projects.rglob("*.jsonl") if p.is_file())
    return sorted(found)


def agent_types(files: Iterable[Path]) -> dict[str, str]:
    """agentId → agentType from the `agent-<id>.meta.json` files beside subagent logs."""
    types: dict[str, str] = {}
    for folder in sorted({p.parent for p in files}):
        for meta in sorted(folder.glob("agent-*.meta.json")):
            try:
                kind = json.loads(meta.read_bytes()).get("agentType")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(kind, str) and kind.strip():
                types[meta.name[len("agent-") : -len(".meta.json")]] = kind.strip()
    return types


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

    def envelope_rank(self) -> tuple[datetime, bool, str, str, str]:
        return (self.at, self.sidechain, self.session, self.cwd, self.branch)


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
        raise BadLine(f"timestamp {value[:40]!r} is not an ISO-8601 time") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def candidate(line: Mapping[str, Any], sidechain: bool = False) -> Candidate | None:
    """The usage an assistant line carries; None when it carries none that counts."""
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
    geo = _text(usage, "inference_geo").lower()
    return Candidate(
        key=f"{message_id}\x00{_text(line, 'requestId')}",
        message_id=message_id,
        at=at,
        session=_text(line, "sessionId"),
        model=model or "unknown",
        tokens=tokens,
        cwd=_text(line, "cwd"),
        branch=_text(line, "gitBranch"),
        sidechain=sidechain or line.get("isSidechain") is True,
        agent_id=_text(line, "agentId"),
        speed="fast" if usage.get("speed") == "fast" else "standard",
        geo="" if geo == "global" else geo,
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
                found = candidate(nested, sidechain=True)
                if found and not found.agent_id:
                    found = _with_agent(found, _text(data, "agentId"))
                return found
    return None


def _with_agent(c: Candidate, agent_id: str) -> Candidate:
    from dataclasses import replace

    return replace(c, agent_id=agent_id)


def read_lines(path: Path) -> Iterator[Candidate | Skipped]:
    """Stream one file; malformed lines come out as Skipped, never as exceptions."""
    label = str(path)
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line:
                continue
            if b'"usage"' not in line:
                if not (line.startswith(b"{") and line.endswith(b"}")):
                    yield Skipped(label, number, _truncated(raw))
                continue
            try:
                found = line_candidate(json.loads(line))
            except UnicodeDecodeError:
                yield Skipped(label, number, "not valid UTF-8; line skipped")
            except json.JSONDecodeError:
                yield Skipped(label, number, _truncated(raw))
            except BadLine as e:
                yield Skipped(label, number, f"{e}; line skipped")
            else:
                if found is not None:
                    yield found


def _truncated(raw: bytes) -> str:
    if not raw.endswith(b"\n"):
        return "incomplete last line (the session may still be writing it); skipped for now"
    return "not a complete JSON object (truncated?); line skipped"


@dataclass(slots=True)
class _Response:
    usage: Candidate
    envelope: Candidate
    main_thread: bool

    def add(self, c: Candidate) -> None:
        if c.usage_rank() > self.usage.usage_rank():
            self.usage = c
        if c.envelope_rank() < self.envelope.envelope_rank():
            self.envelope = c
        self.main_thread = self.main_thread or not c.sidechain


@dataclass(slots=True)
class Collected:
    events: list[UsageEvent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


class Deduper:
    """Global dedup state: one entry per response key, across every file read."""

    def __init__(self) -> None:
        self.responses: dict[str, _Response] = {}

    def add(self, c: Candidate) -> None:
        known = self.responses.get(c.key)
        if known is None:
            self.responses[c.key] = _Response(c, c, not c.sidechain)
        else:
            known.add(c)

    def events(self, agents: Mapping[str, str]) -> list[UsageEvent]:
        main_ids = {r.usage.message_id for r in self.responses.values() if r.main_thread}
        events = [
            _event(key, r, agents)
            for key, r in self.responses.items()
            if r.main_thread or r.usage.message_id not in main_ids
        ]
        events.sort(key=lambda e: (e.at, e.key))
        return events


def _event(key: str, r: _Response, agents: Mapping[str, str]) -> UsageEvent:
    u, env = r.usage, r.envelope
    agent = "main" if not env.sidechain else agents.get(env.agent_id, "subagent")
    return UsageEvent(
        key=key,
        session=env.session,
        at=env.at,
        model=u.model,
        tokens=u.tokens,
        project=env.cwd,
        branch=env.branch,
        agent=agent,
        speed=u.speed,
        geo=u.geo,
        web_search=u.web_search,
        web_fetch=u.web_fetch,
    )


def collect(dirs: Iterable[Path]) -> Collected:
    """Read every log file under `dirs` and return the deduplicated responses."""
    files = discover(dirs)
    dedup = Deduper()
    out = Collected(files=len(files))
    for path in files:
        out.bytes += os.path.getsize(path)
        for item in read_lines(path):
            if isinstance(item, Skipped):
                out.skipped.append(item)
            else:
                dedup.add(item)
    out.events = dedup.events(agent_types(files))
    return out
