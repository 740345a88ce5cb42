"""Synthetic OpenCode data folders with every documented quirk, and the truth they were built from.

`build(data)` writes `opencode.db` (current schema, with workspaces), `opencode-canary.db` (the
first schema: no workspace table) and the older JSON `storage/`, and returns the `Truth`. Quirks
(docs: other-agents.md, OpenCode §3-§4): several API steps per assistant message (the message's
own `tokens` hold only the last step), a forked session that copies messages and parts under new
ids with the original times, tokens and cost, a sub-agent session (`parent_id`), a message with
usage but no step-finish part, zero-token steps, both reasoning conventions (`output` with and
without reasoning, told apart by `total`), cache reads and writes kept out of `input`, the same
messages in the database and in JSON files, malformed rows and files. Text, reasoning and tool
parts, titles, prompts and errors hold sentinels that must never reach a Response.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
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


@dataclass
class Sess:
    id: str
    created: int
    directory: str
    parent: str = ""
    workspace: str = ""
    title: str = SENTINEL + "title"


def write_db(
    path: Path, schema: str, sessions: list[Sess], msgs: list[Msg], extra: list[str]
) -> None:
    db = sqlite3.connect(path)
    db.executescript(schema)
    workspaces = "workspace_id" in schema
    if workspaces:
        db.execute(
            "INSERT INTO workspace VALUES ('ws_1', 'feature/auth-login', 'prj', 'git', ?, ?, '{}')",
            (SENTINEL + "workspace", "/home/dev/src/webapp"),
        )
    for s in sessions:
        cols = [s.id, "prj", *([s.workspace or None] if workspaces else []), s.parent or None]
        cols += ["slug", s.directory, s.title, "1.2.0", s.created, s.created, None, None]
        db.execute(f"INSERT INTO session VALUES ({','.join('?' * len(cols))})", cols)
    for m in msgs:
        db.execute(
            "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
            (m.id, m.session, m.created, m.created, json.dumps(m.data)),
        )
        for pid, part in m.parts:
            db.execute(
                "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                (pid, m.id, m.session, m.created, m.created, json.dumps(part)),
            )
    for statement in extra:
        db.execute(statement)
    db.commit()
    db.close()


def write_storage(root: Path, sessions: list[Sess], msgs: list[Msg]) -> None:
    for s in sessions:
        doc = {"id": s.id, "parentID": s.parent or None, "directory": s.directory,
               "title": s.title, "time": {"created": s.created, "updated": s.created}}  # fmt: skip
        put(root / "session" / "prj_hash" / f"{s.id}.json", doc)
    for m in msgs:
        put(
            root / "message" / m.session / f"{m.id}.json",
            {"id": m.id, "sessionID": m.session} | m.data,
        )
        for pid, part in m.parts:
            doc = {"id": pid, "messageID": m.id, "sessionID": m.session} | part
            put(root / "part" / m.id / f"{pid}.json", doc)


def put(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def build(data: Path, seed: int = 11) -> Truth:
    """Write an OpenCode data folder full of quirks into `data`; return what must be counted."""
    w = World(random.Random(seed), Truth())
    data.mkdir(parents=True, exist_ok=True)
    s1 = Sess("ses_main", w.clock, "/home/dev/src/webapp", workspace="ws_1")
    main_msgs = [user(w, s1.id), assistant(w, s1.id, root=s1.id, steps=3)]
    main_msgs += [user(w, s1.id)]
    main_msgs += [assistant(w, s1.id, root=s1.id, model="gpt-5.2-codex", provider="openai",
                            new_convention=False)]  # fmt: skip
    zero = {"type": "step-finish", "tokens": {"input": 0, "output": 0, "reasoning": 0,
            "cache": {"read": 0, "write": 0}}, "cost": 0}  # fmt: skip
    main_msgs[-1].parts.append((w.new_id("prt"), zero))
    sub = Sess("ses_sub", w.tick(), "/home/dev/src/webapp", parent=s1.id)
    sub_msgs = [assistant(w, sub.id, root=s1.id, agent="explore")]
    nostep = no_step_message(w, s1.id)
    fork = Sess("ses_fork", w.tick(60_000), "/home/dev/src/webapp", title=SENTINEL + " (fork #1)")
    fork_msgs = [*fork_copy(w, main_msgs, fork.id), assistant(w, fork.id, root=fork.id, steps=1)]
    bad = assistant(w, s1.id, root=s1.id, steps=1)
    w.truth.responses.pop()  # its only step has a token count that is not a number
    bad.parts[-1][1]["tokens"] = {"input": "x", "output": 1}
    extra = [
        "INSERT INTO part VALUES ('prt_broken', 'msg_x', 'ses_main', 0, 0, '{not json')",
        "INSERT INTO part VALUES ('prt_orphan', 'msg_gone', 'ses_main', 0, 0, "
        + '\'{"type": "step-finish", "tokens": {"input": 5}}\')',
    ]
    w.truth.malformed += 3
    sessions = [s1, sub, fork]
    write_db(
        data / "opencode.db",
        SCHEMA,
        sessions,
        main_msgs + sub_msgs + [nostep, bad] + fork_msgs,
        extra,
    )
    _canary_and_storage(w, data, main_msgs[:2])
    return w.truth


def no_step_message(w: World, session: str) -> Msg:
    """An assistant message with usage and no step-finish part (an older or aborted one)."""
    m = assistant(w, session, root=session, steps=1, new_convention=False)
    m.data["tokens"] = m.parts[-1][1]["tokens"]
    m.parts[:] = [p for p in m.parts if p[1]["type"] != "step-finish"]
    return m


def _canary_and_storage(w: World, data: Path, overlap: list[Msg]) -> None:
    w.clock += 86_400_000  # the next day
    s4 = Sess("ses_canary", w.clock, "/home/dev/src/api")
    msgs = [user(w, s4.id), assistant(w, s4.id, root=s4.id, model="gemini-3-pro-preview",
                                      provider="google", cwd="/home/dev/src/api")]  # fmt: skip
    write_db(data / "opencode-canary.db", OLD_SCHEMA, [s4], msgs, [])
    # Older JSON storage: a session only there, plus a copy of what the database already has.
    s5 = Sess("ses_json", w.tick(), "/home/dev/src/cli")
    json_msgs = [assistant(w, s5.id, root=s5.id, model="kimi-k2.6", provider="moonshot",
                           cwd="/home/dev/src/cli", new_convention=False)]  # fmt: skip
    root = data / "storage"
    write_storage(root, [s5], json_msgs + overlap)
    truncated = root / "part" / json_msgs[0].id / "prt_truncated.json"
    truncated.write_text('{"id": "prt_truncated", "type": "step-finish", "tokens": {"inp')
    w.truth.malformed += 1
