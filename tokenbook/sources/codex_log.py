"""One Codex rollout file (`rollout-<local time>-<thread id>.jsonl`) → its thread and usage lines.

Only metadata is taken: the thread's ids, creation time, cwd, branch and sub-agent role, and
per `token_count` event its time, cumulative and last usage, model and service tier. Messages,
reasoning, tool calls and instructions (`response_item`, `base_instructions`, ...) are never read
into a record. Counting (which usage lines are real responses) is `codex.py`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenbook.events import Skipped
from tokenbook.sources.records import Bad
from tokenbook.sources.records import count
from tokenbook.sources.records import json_lines
from tokenbook.sources.records import mapping
from tokenbook.sources.records import read_bytes
from tokenbook.sources.records import text
from tokenbook.sources.records import utc

FILE_NAME = re.compile(r"^rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-(.+)\.jsonl$")
FAST_TIERS = {"fast", "priority"}  # Codex `/fast` is OpenAI's priority processing
STANDARD_TIERS = {"", "default", "auto", "standard", "normal"}
# Lines worth parsing; messages, reasoning and tool output are skipped unread.
KEEP = (b'"session_meta"', b'"turn_context"', b'"token_count"', b'"thread_settings_applied"')
_TIER_TEXT = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True, slots=True)
class Usage:
    """Codex `TokenUsage`: cached is part of input, reasoning part of output."""

    input: int = 0
    cached: int = 0
    output: int = 0
    reasoning: int = 0
    total: int = 0

    def minus(self, other: Usage) -> Usage:
        return Usage(*(max(0, a - b) for a, b in zip(self.fields(), other.fields(), strict=True)))

    def fields(self) -> tuple[int, int, int, int, int]:
        return (self.input, self.cached, self.output, self.reasoning, self.total)

    def size(self) -> int:
        """The running total's size, to tell an advance from a reset."""
        return self.total or self.input + self.output


@dataclass(frozen=True, slots=True)
class Line:
    """One `token_count` event with usage."""

    number: int
    at: datetime
    total: Usage | None  # cumulative for the thread (`total_token_usage`)
    last: Usage | None  # this response alone (`last_token_usage`)
    model: str  # "" when neither the event nor a turn context named one
    tier: str  # normalised service tier: standard, fast, flex, or the log's own word
    cwd: str


@dataclass(slots=True)
class Thread:
    """One rollout file: who it is, whose history it replays, and its usage lines."""

    path: Path
    id: str
    archived: bool
    size: int = 0
    created: datetime | None = None
    parent: str = ""  # the thread whose history this file starts with (fork or sub-agent)
    spawned_by: str = ""  # the parent of a sub-agent: its usage belongs to that session
    subagent: bool = False
    agent: str = ""  # the sub-agent's role (`worker`, `review`, `guardian`, ...)
    cwd: str = ""
    branch: str = ""
    lines: list[Line] = field(default_factory=list)


def thread_id_of(path: Path) -> str:
    """The thread id in a rollout's file name, else the file's stem."""
    m = FILE_NAME.match(path.name)
    return m.group(1) if m else path.stem


def tier(value: Any) -> str:
    word = value.strip().lower() if isinstance(value, str) else ""
    if word in STANDARD_TIERS:
        return "standard"
    if word in FAST_TIERS:
        return "fast"
    return word if _TIER_TEXT.match(word) else "standard"


def usage(obj: Any, where: str) -> Usage | None:
    if not isinstance(obj, Mapping):
        return None
    return Usage(
        input=count(obj, "input_tokens", where),
        cached=count(obj, "cached_input_tokens", where),
        output=count(obj, "output_tokens", where),
        reasoning=count(obj, "reasoning_output_tokens", where),
        total=count(obj, "total_tokens", where),
    )


@dataclass(slots=True)
class _State:
    """What the lines read so far say about the lines that follow."""

    thread: Thread
    metas: int = 0
    model: str = ""
    turn_tier: str = ""
    thread_tier: str = ""
    cwd: str = ""


def read_thread(path: Path, archived: bool, skipped: list[Skipped]) -> Thread | None:
    data = read_bytes(path, skipped)
    if data is None:
        return None
    state = _State(Thread(path=path, id=thread_id_of(path), archived=archived, size=len(data)))
    for number, obj in json_lines(path, data, skipped, KEEP):
        try:
            _take(state, number, obj)
        except Bad as e:
            skipped.append(Skipped(str(path), number, f"{e}; line skipped"))
    return state.thread


def _take(state: _State, number: int, obj: Any) -> None:
    if not isinstance(obj, Mapping):
        return
    kind, payload = obj.get("type"), mapping(obj, "payload")
    if kind == "session_meta":
        _meta(state, obj, payload)
    elif kind == "turn_context":
        state.model = text(payload, "model") or state.model
        state.turn_tier = tier(payload.get("service_tier")) if "service_tier" in payload else ""
        state.cwd = text(payload, "cwd") or state.cwd
    elif kind == "event_msg" and payload.get("type") == "thread_settings_applied":
        settings = mapping(payload, "thread_settings")
        if "service_tier" in settings:
            state.thread_tier = tier(settings.get("service_tier"))
    elif kind == "event_msg" and payload.get("type") == "token_count":
        line = _token_count(state, number, obj, payload)
        if line is not None:
            state.thread.lines.append(line)


def _meta(state: _State, obj: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """The first `session_meta` is this thread; a fork repeats its parent's after it."""
    state.metas += 1
    if state.metas > 1:
        return
    t = state.thread
    t.id = text(payload, "id") or t.id
    try:  # only needed to spot a replay when the parent file is gone
        t.created = utc(payload.get("timestamp", obj.get("timestamp")))
    except Bad:
        t.created = None
    t.cwd = text(payload, "cwd")
    t.branch = text(payload, "git", "branch")
    source = payload.get("source")
    sub = mapping(source).get("subagent", mapping(source).get("sub_agent"))
    spawn = mapping(sub, "thread_spawn")
    t.subagent = sub is not None
    t.spawned_by = text(spawn, "parent_thread_id")
    t.agent = text(spawn, "agent_role") or text(payload, "agent_role") or _kind(sub)
    forked = text(payload, "forked_from_id")
    t.parent = t.spawned_by or forked
    if t.parent == t.id:  # a thread naming itself as parent replays nothing
        t.parent = t.spawned_by = ""
    if t.subagent and not t.spawned_by and forked != t.id:
        t.spawned_by = forked


def _kind(sub: Any) -> str:
    """A sub-agent's kind when no role is given: `review`, `compact`, `{"other": "guardian"}`."""
    if isinstance(sub, str):
        return text({"kind": sub}, "kind")
    return text(sub, "other")


def _token_count(
    state: _State, number: int, obj: Mapping[str, Any], payload: Mapping[str, Any]
) -> Line | None:
    info = payload.get("info")
    if not isinstance(info, Mapping):  # a rate-limit refresh: no usage
        return None
    total = usage(info.get("total_token_usage"), "total_token_usage")
    last = usage(info.get("last_token_usage"), "last_token_usage")
    if total is None and last is None:
        return None
    model = (
        text(payload, "model")
        or text(payload, "model_name")
        or text(info, "model")
        or text(payload, "metadata", "model")
        or state.model
    )
    request_tier = payload.get("service_tier", info.get("service_tier"))
    return Line(
        number=number,
        at=utc(obj.get("timestamp")),
        total=total,
        last=last,
        model=model,
        tier=(tier(request_tier) if request_tier else state.turn_tier or state.thread_tier)
        or "standard",
        cwd=state.cwd or state.thread.cwd,
    )
