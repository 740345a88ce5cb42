"""The OpenCode data folder the tests count: every documented quirk (see opencode_gen)."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.agents.opencode_gen import OLD_SCHEMA
from tests.agents.opencode_gen import SCHEMA
from tests.agents.opencode_gen import SENTINEL
from tests.agents.opencode_gen import Msg
from tests.agents.opencode_gen import Truth
from tests.agents.opencode_gen import World
from tests.agents.opencode_gen import assistant
from tests.agents.opencode_gen import fork_copy
from tests.agents.opencode_gen import user


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
