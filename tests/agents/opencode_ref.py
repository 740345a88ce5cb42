"""An independent reference count of OpenCode data folders, written for the tests from the
documented rules (other-agents.md, OpenCode §3-§4) without tokenbook's reader.

It tells fork copies apart by a different documented rule than the reader: a copied message
was created before the session that holds it. Rows: (root session, day, model, input,
cache_read, cache_write, output).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, int, int, int, int]


def _load(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _from_db(path: Path, sessions: dict, messages: dict, parts: dict) -> None:
    db = sqlite3.connect(path)
    for sid, parent, created in db.execute("SELECT id, parent_id, time_created FROM session"):
        sessions.setdefault(sid, (parent, created))
    for mid, sid, raw in db.execute("SELECT id, session_id, data FROM message"):
        messages.setdefault(mid, (sid, _load(raw)))
    for pid, mid, raw in db.execute("SELECT id, message_id, data FROM part ORDER BY id"):
        parts.setdefault(pid, (mid, _load(raw)))
    db.close()


def _from_json(root: Path, sessions: dict, messages: dict, parts: dict) -> None:
    for f in sorted(root.glob("session/*/*.json")):
        doc = json.loads(f.read_text())
        sessions.setdefault(doc["id"], (doc.get("parentID"), doc["time"]["created"]))
    for f in sorted(root.glob("message/*/*.json")):
        doc = json.loads(f.read_text())
        messages.setdefault(doc["id"], (doc["sessionID"], doc))
    for f in sorted(root.glob("part/*/*.json")):
        doc = _load(f.read_text())
        if doc:
            parts.setdefault(doc["id"], (doc["messageID"], doc))


def _billed(tokens: dict[str, Any]) -> tuple[int, int, int, int]:
    cache = tokens.get("cache") or {}
    inp, out, r = tokens.get("input", 0), tokens.get("output", 0), tokens.get("reasoning", 0)
    if "total" in tokens and tokens["total"] == inp + out + r + cache["read"] + cache["write"]:
        out += r
    return inp, cache.get("read", 0), cache.get("write", 0), out


def _root(sessions: dict[str, tuple[Any, int]], sid: str) -> str:
    while sessions[sid][0]:
        sid = sessions[sid][0]
    return sid


def reference(data: Path) -> list[Row]:
    sessions: dict[str, tuple[Any, int]] = {}
    messages: dict[str, tuple[str, Any]] = {}
    parts: dict[str, tuple[str, Any]] = {}
    for db in sorted(data.glob("opencode*.db")):
        _from_db(db, sessions, messages, parts)
    _from_json(data / "storage", sessions, messages, parts)
    steps: dict[str, list[dict[str, Any]]] = {}
    for mid, part in parts.values():
        if isinstance(part, dict) and part.get("type") == "step-finish":
            steps.setdefault(mid, []).append(part)
    rows: list[Row] = []
    for mid, (sid, msg) in messages.items():
        if not msg or msg.get("role") != "assistant":
            continue
        if msg["time"]["created"] < sessions[sid][1]:
            continue  # a fork's copy of a message from before the fork
        root = _root(sessions, sid)
        day = datetime.fromtimestamp(msg["time"]["created"] / 1000, UTC).date().isoformat()
        for tokens in [s["tokens"] for s in steps.get(mid, [])] or [msg["tokens"]]:
            if not all(isinstance(v, int) for k, v in tokens.items() if k != "cache"):
                continue
            billed = _billed(tokens)
            if any(billed):
                rows.append((root, day, msg["modelID"], *billed))
    return rows


def naive(data: Path) -> int:
    """Sum each assistant message's own `tokens` (what ccusage and tokscale read): the last
    step only, and fork copies again."""
    sessions: dict[str, tuple[Any, int]] = {}
    messages: dict[str, tuple[str, Any]] = {}
    for db in sorted(data.glob("opencode*.db")):
        _from_db(db, sessions, messages, {})
    _from_json(data / "storage", sessions, messages, {})
    total = 0
    for _, msg in messages.values():
        if msg and msg.get("role") == "assistant" and isinstance(msg["tokens"].get("input"), int):
            total += sum(_billed(msg["tokens"]))
    return total
