"""Synthetic OpenCode data folders with every documented quirk, and the truth they were built from.

`opencode_history.build(data)` writes `opencode.db` (current schema, with workspaces),
`opencode-canary.db` (the first schema: no workspace table) and the older JSON `storage/`, and
returns the `Truth`. Quirks
(docs: other-agents.md, OpenCode §3-§4): several API steps per assistant message (the message's
own `tokens` hold only the last step), a forked session that copies messages and parts under new
ids with the original times, tokens and cost, a sub-agent session (`parent_id`), a message with
usage but no step-finish part, zero-token steps, both reasoning conventions (`output` with and
without reasoning, told apart by `total`), cache reads and writes kept out of `input`, the same
messages in the database and in JSON files, malformed rows and files. Text, reasoning and tool
parts, titles, prompts and errors hold sentinels that must never reach a Response.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

SENTINEL = "SENTINEL-OPENCODE-"
START_MS = int(datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp() * 1000)

SCHEMA = """
CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT, vcs TEXT, name TEXT,
  time_created INTEGER, time_updated INTEGER);
CREATE TABLE workspace (id TEXT PRIMARY KEY, branch TEXT, project_id TEXT, type TEXT, name TEXT,
  directory TEXT, extra TEXT);
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, workspace_id TEXT, parent_id TEXT,
  slug TEXT, directory TEXT, title TEXT, version TEXT, time_created INTEGER,
  time_updated INTEGER, time_compacting INTEGER, time_archived INTEGER);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER,
  time_updated INTEGER, data TEXT);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER,
  time_updated INTEGER, data TEXT);
"""
# The first SQLite schema (OpenCode 1.1.53): no workspaces.
OLD_SCHEMA = SCHEMA.split("CREATE TABLE workspace")[0] + SCHEMA.split("extra TEXT);")[1].replace(
    "workspace_id TEXT, ", ""
)


@dataclass(frozen=True)
class Real:
    session: str  # the root session the usage is attributed to
    day: str
    model: str
    input: int
    cache_read: int
    cache_write: int
    output: int
    main: bool = True


@dataclass
class Truth:
    responses: list[Real] = field(default_factory=list)
    malformed: int = 0


@dataclass
class Msg:
    """An assistant message with its parts, as OpenCode stores it."""

    id: str
    session: str
    created: int
    data: dict[str, Any]
    parts: list[tuple[str, dict[str, Any]]]


@dataclass
class World:
    rng: random.Random
    truth: Truth
    ids: int = 0
    clock: int = START_MS

    def new_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}_{self.ids:08d}"

    def tick(self, ms: int = 9_000) -> int:
        self.clock += ms
        return self.clock


def step_tokens(w: World, new_convention: bool) -> tuple[dict[str, Any], tuple[int, int, int, int]]:
    """A step's `tokens` as logged, and (input, cache read, cache write, output) as billed."""
    inp, read, write = w.rng.randint(5, 4_000), w.rng.randint(0, 60_000), w.rng.randint(0, 9_000)
    reasoning = w.rng.randint(0, 500)
    visible = w.rng.randint(1, 2_000)
    cache = {"read": read, "write": write}
    if new_convention:  # output without reasoning; total shows it
        total = inp + visible + reasoning + read + write
        logged = {"total": total, "input": inp, "output": visible, "reasoning": reasoning}
    else:  # output includes reasoning; no total
        logged = {"input": inp, "output": visible + reasoning, "reasoning": reasoning}
    return logged | {"cache": cache}, (inp, read, write, visible + reasoning)


def assistant(
    w: World,
    session: str,
    *,
    root: str,
    model: str = "claude-sonnet-4-5",
    provider: str = "anthropic",
    steps: int = 2,
    new_convention: bool = True,
    agent: str = "build",
    cwd: str = "/home/dev/src/webapp",
) -> Msg:
    """An assistant message of `steps` API calls; each real step goes into the truth."""
    created = w.tick()
    mid = w.new_id("msg")
    parts: list[tuple[str, dict[str, Any]]] = []
    cost = 0.0
    last: dict[str, Any] = {}
    for _ in range(steps):
        logged, billed = step_tokens(w, new_convention)
        step_cost = round(w.rng.random() / 10, 6)
        cost += step_cost
        last = logged
        parts += [
            (w.new_id("prt"), {"type": "step-start", "snapshot": "abc"}),
            (w.new_id("prt"), {"type": "reasoning", "text": SENTINEL + "reasoning"}),
            (w.new_id("prt"), text_part()),
            (w.new_id("prt"), tool_part()),
            (w.new_id("prt"), {"type": "step-finish", "reason": "tool-calls", "tokens": logged,
                               "cost": step_cost, "snapshot": "def"}),
        ]  # fmt: skip
        day = datetime.fromtimestamp(created / 1000, UTC).date().isoformat()
        w.truth.responses.append(Real(root, day, model, *billed, main=root == session))
    data = {
        "role": "assistant",
        "time": {"created": created, "completed": created + 5_000},
        "parentID": "msg_user",
        "modelID": model,
        "providerID": provider,
        "agent": agent,
        "mode": agent,
        "path": {"cwd": cwd, "root": cwd},
        "system": [SENTINEL + "system_prompt"],
        "summary": {"title": SENTINEL + "summary", "diffs": []},
        "cost": round(cost, 6),
        "tokens": last,
        "finish": "stop",
    }
    return Msg(mid, session, created, data, parts)


def text_part() -> dict[str, Any]:
    return {"type": "text", "text": SENTINEL + "text", "time": {"start": 1, "end": 2}}


def tool_part() -> dict[str, Any]:
    state = {
        "status": "completed",
        "input": {"command": SENTINEL + "tool_input"},
        "output": SENTINEL + "tool_output",
        "title": SENTINEL + "tool_title",
    }
    return {"type": "tool", "tool": "bash", "callID": "c1", "state": state}


def user(w: World, session: str) -> Msg:
    created = w.tick(1_000)
    data = {
        "role": "user",
        "time": {"created": created},
        "model": {"providerID": "anthropic", "modelID": "claude-sonnet-4-5"},
        "system": SENTINEL + "user_system",
    }
    return Msg(w.new_id("msg"), session, created, data, [(w.new_id("prt"), text_part())])


def fork_copy(w: World, msgs: list[Msg], session: str) -> list[Msg]:
    """What Session.fork writes: every message and part again, new ids, same time and usage."""
    return [
        Msg(w.new_id("msg"), session, m.created, m.data, [(w.new_id("prt"), p) for _, p in m.parts])
        for m in msgs
    ]
