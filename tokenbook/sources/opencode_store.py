"""OpenCode's two stores, read into plain records: the SQLite database (`opencode*.db`, opened
read-only) and the older JSON storage (`storage/{session,message,part}/...`).

Only metadata leaves here: ids, times, model and provider ids, token counts, cost, the working
directory, the agent name and the workspace branch. Text, reasoning and tool parts are never
selected from the database, and are dropped as soon as a JSON part file says it is not a
`step-finish`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tokenbook.events import Skipped
from tokenbook.sources.records import Bad
from tokenbook.sources.records import json_file
from tokenbook.sources.records import mapping
from tokenbook.sources.records import read_bytes
from tokenbook.sources.records import text

BUSY_SECONDS = 2.0  # how long to wait for OpenCode to finish a write before skipping the db


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    parent: str = ""
    directory: str = ""
    created: int = 0  # epoch ms
    branch: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    session: str
    created: Any  # time.created as logged (epoch ms), checked when used
    model: str
    provider: str
    cwd: str
    agent: str
    tokens: Any  # the message's `tokens` object (its last step), for messages without steps
    cost: Any


@dataclass(frozen=True, slots=True)
class Part:
    id: str
    message: str
    tokens: Any  # the step's `tokens` object
    cost: Any


@dataclass(slots=True)
class Store:
    """One store's records; `origin` ranks it (a database wins over JSON files)."""

    path: Path
    origin: int
    sessions: dict[str, Session] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)
    bytes: int = 0
    files: int = 0


def _loads(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


# -- SQLite ---------------------------------------------------------------------------------


def _field(path: str) -> str:
    """A JSON field of `data`; CASE keeps one malformed row from failing the whole query."""
    return f"CASE WHEN json_valid(data) THEN json_extract(data, '{path}') END"


_MESSAGES = f"""
SELECT id, session_id, time_created, {_field("$.time.created")}, {_field("$.modelID")},
       {_field("$.providerID")}, {_field("$.path.cwd")}, {_field("$.agent")},
       {_field("$.tokens")}, {_field("$.cost")}
FROM message WHERE {_field("$.role")} = 'assistant'
"""
_PARTS = f"""
SELECT id, message_id, {_field("$.tokens")}, {_field("$.cost")}
FROM part WHERE {_field("$.type")} = 'step-finish'
"""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def read_database(path: Path, skipped: list[Skipped]) -> Store | None:
    """Every assistant message and step-finish part of one database, or None (reported)."""
    store = Store(path=path, origin=0, files=1)
    try:
        store.bytes = path.stat().st_size
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None)
        db.text_factory = lambda b: b.decode("utf-8", "replace")
    except (OSError, sqlite3.Error) as e:
        skipped.append(Skipped(str(path), 0, f"cannot open the database read-only ({e})"))
        return None
    try:
        db.execute("BEGIN")  # one consistent snapshot while OpenCode keeps writing
        _read_tables(db, store, skipped)
    except sqlite3.OperationalError as e:
        skipped.append(Skipped(str(path), 0, _why(e)))
        return None
    except sqlite3.DatabaseError as e:
        skipped.append(Skipped(str(path), 0, f"not a readable SQLite database ({e}); skipped"))
        return None
    finally:
        db.close()
    return store


def _why(e: sqlite3.OperationalError) -> str:
    words = str(e)
    if "locked" in words or "busy" in words:
        return "the database is busy (OpenCode is writing to it); skipped, run sync again"
    return f"cannot read the database ({words}); skipped"


def _read_tables(db: sqlite3.Connection, store: Store, skipped: list[Skipped]) -> None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"session", "message", "part"} <= tables:
        why = "has no session/message/part tables: not an OpenCode database tokenbook reads"
        skipped.append(Skipped(str(store.path), 0, f"{why}; skipped"))
        return
    branches: dict[str, str] = {}
    if "workspace" in tables and "branch" in _columns(db, "workspace"):
        branches = {str(i): b for i, b in db.execute("SELECT id, branch FROM workspace") if b}
    has_workspace = "workspace_id" in _columns(db, "session")
    workspace = "workspace_id" if has_workspace else "NULL"
    query = f"SELECT id, parent_id, directory, time_created, {workspace} FROM session"
    for sid, parent, directory, created, ws in db.execute(query):
        store.sessions[str(sid)] = Session(
            id=str(sid),
            parent=str(parent or ""),
            directory=directory if isinstance(directory, str) else "",
            created=created if isinstance(created, int) else 0,
            branch=branches.get(str(ws), "") if ws is not None else "",
        )
    for row in db.execute(_MESSAGES):
        mid, sid, column_time, created, model, provider, cwd, agent, tokens, cost = row
        store.messages[str(mid)] = Message(
            id=str(mid),
            session=str(sid),
            created=created if created is not None else column_time,
            model=model if isinstance(model, str) else "",
            provider=provider if isinstance(provider, str) else "",
            cwd=cwd if isinstance(cwd, str) else "",
            agent=agent if isinstance(agent, str) else "",
            tokens=_loads(tokens),
            cost=cost,
        )
    for pid, mid, tokens, cost in db.execute(_PARTS):
        store.parts.append(Part(id=str(pid), message=str(mid), tokens=_loads(tokens), cost=cost))
    bad = db.execute("SELECT count(*) FROM part WHERE NOT json_valid(data)").fetchone()[0]
    if bad:
        why = f"{bad} part row(s) hold malformed JSON; those rows skipped"
        skipped.append(Skipped(str(store.path), 0, why))


# -- JSON storage ---------------------------------------------------------------------------


def _json(path: Path, store: Store, skipped: list[Skipped], step_only: bool = False) -> Any:
    data = read_bytes(path, skipped)
    if data is None:
        return None
    store.files += 1
    store.bytes += len(data)
    if step_only and b"step-finish" not in data:  # a text, reasoning or tool part: not read
        return None
    doc = json_file(path, data, skipped)
    return doc if isinstance(doc, Mapping) else None


def read_storage(root: Path, files: Iterable[Path], skipped: list[Skipped]) -> Store:
    """The JSON files below `<data>/storage/`: sessions, messages and step-finish parts."""
    store = Store(path=root, origin=1)
    for path in files:
        try:
            _take(root, path, store, skipped)
        except Bad as e:
            skipped.append(Skipped(str(path), 0, f"{e}; file skipped"))
    return store


def _take(root: Path, path: Path, store: Store, skipped: list[Skipped]) -> None:
    kind = path.relative_to(root).parts[0]
    if kind == "session":
        doc = _json(path, store, skipped)
        if doc and text(doc, "id"):
            store.sessions[text(doc, "id")] = Session(
                id=text(doc, "id"),
                parent=text(doc, "parentID"),
                directory=text(doc, "directory"),
                created=_int(mapping(doc, "time").get("created")),
            )
    elif kind == "message":
        doc = _json(path, store, skipped)
        if doc and doc.get("role") == "assistant" and text(doc, "id"):
            store.messages[text(doc, "id")] = _message(doc, path.parent.name)
    elif kind == "part":
        doc = _json(path, store, skipped, step_only=True)
        if doc and doc.get("type") == "step-finish" and text(doc, "id"):
            message = text(doc, "messageID") or path.parent.name
            part = Part(text(doc, "id"), message, doc.get("tokens"), doc.get("cost"))
            store.parts.append(part)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _message(doc: Mapping[str, Any], folder: str) -> Message:
    return Message(
        id=text(doc, "id"),
        session=text(doc, "sessionID") or folder,
        created=mapping(doc, "time").get("created"),
        model=text(doc, "modelID"),
        provider=text(doc, "providerID"),
        cwd=text(doc, "path", "cwd"),
        agent=text(doc, "agent") or text(doc, "mode"),
        tokens=doc.get("tokens"),
        cost=doc.get("cost"),
    )
