"""OpenCode (sst/opencode) → one Response per API step.

Where: OpenCode's data folder (`$OPENCODE_DATA_DIR`, a comma-separated list, else
`$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`) holds `opencode.db` (and channel
databases `opencode-<channel>.db`) and, from older versions, JSON files in `storage/`.

Counting rules (docs/agents.md, "OpenCode"):
- each `step-finish` part is one API call (a message's own `tokens` are only its last step);
  an assistant message with usage but no step-finish part counts once, from its own tokens;
- the same part in the database and in the JSON files counts once (the database wins);
- a forked session copies every message and part under new ids with the original times,
  tokens and cost: copies are recognised by that fingerprint and count once, in the session
  created first;
- `tokens.input` already excludes cache reads and writes; cache writes count as 5-minute
  writes; reasoning is added to output only when `tokens.total` shows it was kept apart;
- a sub-agent session (`parent_id`) counts under its root session, `main` False.
The database is opened read-only (`mode=ro`) in one transaction; a busy database is skipped
and reported, and read again by the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenbook.events import Skipped
from tokenbook.events import Tokens
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response
from tokenbook.sources.opencode_store import Message
from tokenbook.sources.opencode_store import Part
from tokenbook.sources.opencode_store import Session
from tokenbook.sources.opencode_store import Store
from tokenbook.sources.opencode_store import read_database
from tokenbook.sources.opencode_store import read_storage
from tokenbook.sources.records import Bad
from tokenbook.sources.records import count
from tokenbook.sources.records import mapping
from tokenbook.sources.records import utc
from tokenbook.sources.records import walk

NAME = "opencode"
UNKNOWN_MODEL = "unknown"


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`$OPENCODE_DATA_DIR` (comma-separated), else `$XDG_DATA_HOME/opencode`, else
    ~/.local/share/opencode (OpenCode uses that path on every system)."""
    listed = env.get("OPENCODE_DATA_DIR", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    xdg = env.get("XDG_DATA_HOME", "").strip()
    return [(Path(xdg).expanduser() if xdg else home / ".local" / "share") / "opencode"]


def looks_like(path: Path) -> bool:
    """A data folder with an `opencode*.db` or a `storage/message` folder."""
    return bool(databases(path)) or (path / "storage" / "message").is_dir()


def databases(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.glob("opencode*.db") if p.is_file())
    except OSError:
        return []


def read(dirs: Iterable[Path]) -> Read:
    out = Read()
    stores: list[Store] = []
    for folder in dirs:
        for db in databases(folder):
            store = read_database(db, out.skipped)
            out.files += 1
            if store is not None:
                out.bytes += store.bytes
                stores.append(store)
        root = folder / "storage"
        files = walk([root / k for k in ("session", "message", "part")], (".json",))
        if files:
            store = read_storage(root, files, out.skipped)
            out.files += store.files
            out.bytes += store.bytes
            stores.append(store)
    out.responses = _Merged(stores).responses(out.skipped)
    return out


@dataclass(frozen=True, slots=True)
class _Step:
    key: str
    message: Message
    tokens: Any
    cost: Any
    ordinal: int
    path: Path
    origin: int


class _Merged:
    """All stores as one: the first store (databases before JSON) wins each id."""

    def __init__(self, stores: list[Store]) -> None:
        ordered = sorted(stores, key=lambda s: (s.origin, str(s.path)))
        self.sessions: dict[str, Session] = {}
        self.messages: dict[str, tuple[Message, Store]] = {}
        parts: dict[str, tuple[Part, Store]] = {}
        for store in ordered:
            for sid, session in store.sessions.items():
                self.sessions.setdefault(sid, session)
            for mid, message in store.messages.items():
                self.messages.setdefault(mid, (message, store))
            for part in store.parts:
                parts.setdefault(part.id, (part, store))
        self.parts: dict[str, list[tuple[Part, Store]]] = {}
        for part, store in sorted(parts.values(), key=lambda p: p[0].id):
            self.parts.setdefault(part.message, []).append((part, store))

    def steps(self, skipped: list[Skipped]) -> list[_Step]:
        found = []
        for mid, steps in sorted(self.parts.items()):
            if mid not in self.messages:
                for part, store in steps:
                    why = f"step-finish part {part.id}: its message {mid} is missing; skipped"
                    skipped.append(Skipped(str(store.path), 0, why))
                continue
            message = self.messages[mid][0]
            for n, (part, store) in enumerate(steps):
                found.append(_Step(part.id, message, part.tokens, part.cost, n, *_at(store)))
        for mid, (message, store) in sorted(self.messages.items()):
            if mid not in self.parts:  # no step parts: the message's own usage, once
                found.append(_Step(mid, message, message.tokens, message.cost, -1, *_at(store)))
        return found

    def root(self, sid: str) -> str:
        seen = {sid}
        while (parent := self.sessions.get(sid, Session(sid)).parent) and parent not in seen:
            seen.add(parent)
            sid = parent
        return sid

    def responses(self, skipped: list[Skipped]) -> list[Response]:
        best: dict[tuple[Any, ...], tuple[tuple[int, int, str], Response]] = {}
        for step in self.steps(skipped):
            try:
                response = self._response(step)
            except Bad as e:
                why = f"step {step.key} of message {step.message.id}: {e}; skipped"
                skipped.append(Skipped(str(step.path), 0, why))
                continue
            if response is None:
                continue
            session = self.sessions.get(step.message.session, Session(step.message.session))
            rank = (session.created, step.origin, step.key)
            fingerprint = _fingerprint(step, response.tokens)
            known = best.get(fingerprint)
            if known is None or rank < known[0]:
                best[fingerprint] = (rank, response)
        return sorted((r for _, r in best.values()), key=lambda r: (r.at, r.key))

    def _response(self, step: _Step) -> Response | None:
        tokens = _tokens(step.tokens)
        if tokens.total == 0:
            return None
        m = step.message
        session = self.sessions.get(m.session, Session(m.session))
        root = self.root(m.session)
        top = self.sessions.get(root, Session(root))
        sub = root != m.session
        return Response(
            source=NAME,
            key=step.key,
            at=utc(m.created, "time.created"),
            session=root,
            model=m.model or UNKNOWN_MODEL,
            tokens=tokens,
            project=m.cwd or session.directory or top.directory,
            branch=session.branch or top.branch,
            main=not sub,
            agent_id=m.session if sub else "",
            agent=m.agent if sub else "",
        )


def _at(store: Store) -> tuple[Path, int]:
    return store.path, store.origin


def _fingerprint(step: _Step, tokens: Tokens) -> tuple[Any, ...]:
    """What a fork's copy of a step shares with the original: time, model, usage, cost."""
    m = step.message
    return (repr(m.created), m.model, m.provider, step.ordinal, tokens, repr(step.cost))


def _tokens(raw: Any) -> Tokens:
    if not isinstance(raw, Mapping):
        raise Bad("tokens is missing")
    cache = mapping(raw, "cache")
    read = count(cache, "read", "tokens.cache")
    write = count(cache, "write", "tokens.cache")
    inp, out = count(raw, "input", "tokens"), count(raw, "output", "tokens")
    reasoning = count(raw, "reasoning", "tokens")
    total = count(raw, "total", "tokens")
    if reasoning and total >= inp + out + reasoning + read + write:
        out += reasoning  # this version keeps reasoning out of `output`
    return Tokens(input=inp, output=out, cache_write_5m=write, cache_read=read)
