"""Gemini CLI chats → one Response per model response (a `gemini` message with `tokens`).

Where: `~/.gemini/tmp/<project>/chats/` (`$GEMINI_CLI_HOME/.gemini` when set; `$GEMINI_DATA_DIR`,
a comma-separated list of `tmp` folders, overrides both): `session-*.jsonl` files, sub-agent
files `chats/<parent session>/<session>.jsonl`, and older `session-*.json` documents.

Counting rules (docs/agents.md, "Gemini CLI"):
- a message is re-appended in full each time it changes (text, then tokens, then tool status),
  and `{"$set": {"messages": [...]}}` rewrites them: the last write of a message id wins;
- a legacy `.json` session resumed as `.jsonl` copies its messages: one count per
  (session, message id), the `.jsonl` copy winning; rewound messages still count (they were
  billed);
- `tokens.input` includes `cached` (subtracted, unless `total` shows they were apart);
  `tool` prompt tokens are input; `thoughts` are output;
- model: the message's own, else the last one seen in the file; no branch is logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook.events import Skipped
from tokenbook.events import Tokens
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response
from tokenbook.sources.records import Bad
from tokenbook.sources.records import count
from tokenbook.sources.records import json_file
from tokenbook.sources.records import json_lines
from tokenbook.sources.records import mapping
from tokenbook.sources.records import read_bytes
from tokenbook.sources.records import text
from tokenbook.sources.records import utc
from tokenbook.sources.records import walk

NAME = "gemini"
UNKNOWN_MODEL = "unknown"


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`$GEMINI_DATA_DIR` (comma-separated `tmp` folders), else `$GEMINI_CLI_HOME/.gemini`,
    else ~/.gemini."""
    listed = env.get("GEMINI_DATA_DIR", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    cli_home = env.get("GEMINI_CLI_HOME", "").strip()
    return [(Path(cli_home).expanduser() if cli_home else home) / ".gemini"]


def projects(folder: Path) -> list[Path]:
    """The project folders (each with `chats/`) of a `.gemini` folder or of its `tmp/`."""
    base = folder / "tmp" if (folder / "tmp").is_dir() else folder
    try:
        return sorted(p for p in base.iterdir() if (p / "chats").is_dir())
    except OSError:
        return []


def looks_like(path: Path) -> bool:
    return bool(projects(path))


def project_roots(folder: Path) -> dict[str, str]:
    """slug → project path from `projects.json` (`{"projects": {"/abs/path": "slug"}}`)."""
    for candidate in (folder / "projects.json", folder.parent / "projects.json"):
        try:
            doc = json.loads(candidate.read_bytes())
        except (OSError, ValueError):
            continue
        listed = mapping(doc, "projects")
        return {v: k for k, v in listed.items() if isinstance(k, str) and isinstance(v, str)}
    return {}


def project_root(project: Path, known: Mapping[str, str]) -> str:
    """The project's path: its `.project_root` file, else projects.json, else unknown ("")."""
    try:
        written = (project / ".project_root").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        written = ""
    return written or known.get(project.name, "")


@dataclass(frozen=True, slots=True)
class _Message:
    """The latest write of one message id, with where it was written."""

    session: str
    parent: str  # the parent session of a sub-agent, else ""
    record: Mapping[str, Any]
    model: str  # the model named by the file before (or in) this write
    project: str
    path: Path
    line: int


@dataclass(slots=True)
class _File:
    path: Path
    project: str
    session: str
    parent: str
    model: str = ""


def read(dirs: Iterable[Path]) -> Read:
    out = Read()
    latest: dict[tuple[str, str], _Message] = {}
    for folder in dirs:
        known = project_roots(folder)
        for project in projects(folder):
            root = project_root(project, known)
            chats = project / "chats"
            files = walk([chats], (".json", ".jsonl"))
            # Legacy documents first, so a .jsonl copy of the same message wins.
            for path in sorted(files, key=lambda p: (p.suffix == ".jsonl", p)):
                nested = path.parent != chats
                parent = path.parent.name if nested else ""
                f = _File(path, root, path.stem, parent)
                _read_file(f, latest, out)
    for m in sorted(latest.values(), key=lambda m: (m.session, str(m.path), m.line)):
        try:
            response = _response(m)
        except Bad as e:
            out.skipped.append(Skipped(str(m.path), m.line, f"{e}; message skipped"))
            continue
        if response is not None:
            out.responses.append(response)
    return out


def _read_file(f: _File, latest: dict[tuple[str, str], _Message], out: Read) -> None:
    data = read_bytes(f.path, out.skipped)
    out.files += 1
    if data is None:
        return
    out.bytes += len(data)
    if f.path.suffix == ".json":
        _read_document(f, json_file(f.path, data, out.skipped), latest)
        return
    for number, obj in json_lines(f.path, data, out.skipped):
        if not isinstance(obj, Mapping):
            continue
        if isinstance(obj.get("$set"), Mapping):
            for msg in obj["$set"].get("messages") or ():
                _upsert(f, msg, number, latest)
        elif isinstance(obj.get("id"), str):
            _upsert(f, obj, number, latest)
        elif "sessionId" in obj:
            _header(f, obj)


def _read_document(f: _File, doc: Any, latest: dict[tuple[str, str], _Message]) -> None:
    """A legacy `session-*.json`: one document with every message."""
    if isinstance(doc, Mapping):
        _header(f, doc)
        for msg in doc.get("messages") or ():
            _upsert(f, msg, 0, latest)


def _header(f: _File, doc: Mapping[str, Any]) -> None:
    try:
        f.session = text(doc, "sessionId") or f.session
    except Bad:
        return


def _upsert(f: _File, msg: Any, line: int, latest: dict[tuple[str, str], _Message]) -> None:
    if not isinstance(msg, Mapping) or not isinstance(msg.get("id"), str):
        return
    model = msg.get("model")
    if isinstance(model, str) and model.strip():
        f.model = model.strip()
    key = (f.session, msg["id"])
    latest[key] = _Message(f.session, f.parent, msg, f.model, f.project, f.path, line)


def tokens(t: Mapping[str, Any]) -> Tokens:
    inp, cached = count(t, "input", "tokens"), count(t, "cached", "tokens")
    out, thoughts = count(t, "output", "tokens"), count(t, "thoughts", "tokens")
    tool, total = count(t, "tool", "tokens"), count(t, "total", "tokens")
    apart = cached > 0 and total == inp + cached + out + thoughts + tool
    uncached = inp if cached > inp or apart else inp - cached  # apart: cached not in input
    return Tokens(input=uncached + tool, cache_read=cached, output=out + thoughts)


def _response(m: _Message) -> Response | None:
    raw = m.record.get("tokens")
    if not isinstance(raw, Mapping):
        return None
    t = tokens(raw)
    if t.total == 0:
        return None
    own = m.session
    return Response(
        source=NAME,
        key=f"{own}:{text(m.record, 'id')}",
        at=utc(m.record.get("timestamp")),
        session=m.parent or own,
        model=m.model or UNKNOWN_MODEL,
        tokens=t,
        project=m.project,
        main=not m.parent,
        agent_id=own if m.parent else "",
    )
