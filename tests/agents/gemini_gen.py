"""Synthetic Gemini CLI folders (`.gemini/tmp/<project>/chats/`) with every documented quirk.

`build(gemini)` returns the `Truth`. Quirks (docs: other-agents.md, Gemini §2-§4): a message
re-appended in full as it changes (text, then tokens, then a tool status; tokens that change
between writes), `$set` updates (`lastUpdated`, `summary`, a whole `messages` array), a
`$rewindTo`, a legacy `.json` session and the `.jsonl` copy written when it is resumed, a
legacy-only session, a sub-agent file in `chats/<parent>/`, input that includes cached tokens
(and one record where `total` shows they were apart), thoughts and tool-prompt tokens, a
message without a model, zero-token messages, project folders named by slug (with
`.project_root`), by `projects.json` and by an old hash, and malformed lines. Every text field
holds a sentinel.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

SENTINEL = "SENTINEL-GEMINI-"
START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Real:
    session: str
    day: str
    model: str
    input: int
    cache_read: int
    output: int
    project: str
    main: bool = True


@dataclass
class Truth:
    responses: list[Real] = field(default_factory=list)
    malformed: int = 0


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Chat:
    """One session file being written."""

    session: str
    project: str
    clock: datetime
    lines: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=11)
        return self.clock

    def new_id(self) -> str:
        self.n += 1
        return f"{self.session}-m{self.n}"


def usage(rng: random.Random, apart: bool = False) -> tuple[dict[str, int], tuple[int, int, int]]:
    """Logged `tokens` and the billed (input, cache read, output)."""
    prompt, out = rng.randint(1_000, 150_000), rng.randint(1, 3_000)
    cached = rng.randint(0, prompt) if rng.random() < 0.7 else 0
    thoughts, tool = rng.randint(0, 900), rng.randint(0, 40)
    if apart:  # cached kept out of input: total says so
        cached = cached or 1
        total = prompt + cached + out + thoughts + tool
        logged = {"input": prompt, "output": out, "cached": cached, "thoughts": thoughts,
                  "tool": tool, "total": total}  # fmt: skip
        return logged, (prompt + tool, cached, out + thoughts)
    logged = {"input": prompt, "output": out, "cached": cached, "thoughts": thoughts,
              "tool": tool, "total": prompt + out + thoughts + tool}  # fmt: skip
    return logged, (prompt - cached + tool, cached, out + thoughts)


def user(c: Chat) -> None:
    msg = {"id": c.new_id(), "timestamp": iso(c.tick()), "type": "user",
           "content": [{"text": SENTINEL + "prompt"}]}  # fmt: skip
    c.lines.append(msg)
    c.messages.append(msg)


def reply(
    c: Chat,
    truth: Truth,
    rng: random.Random,
    *,
    model: str | None = "gemini-3-pro-preview",
    billed_model: str = "gemini-3-pro-preview",
    parent: str = "",
    rewrite_tokens: bool = False,
    apart: bool = False,
) -> dict[str, Any]:
    """A model response written the way the CLI writes it: text first, then tokens, then a tool
    status, each time the whole message again."""
    at = c.tick()
    base: dict[str, Any] = {"id": c.new_id(), "timestamp": iso(at), "type": "gemini",
                            "content": SENTINEL + "answer"}  # fmt: skip
    if model:
        base["model"] = model
    c.lines.append(dict(base))
    logged, billed = usage(rng, apart)
    if rewrite_tokens:  # an early token count, corrected by the next write
        c.lines.append(base | {"tokens": {"input": 5, "output": 1, "cached": 0, "total": 6}})
    thoughts = [{"subject": SENTINEL + "subject", "description": SENTINEL + "thought"}]
    with_tokens = base | {"tokens": logged, "thoughts": thoughts}
    c.lines.append(with_tokens)
    tool = {"id": "t1", "name": "run_shell_command", "args": {"command": SENTINEL + "args"},
            "result": [{"text": SENTINEL + "result"}], "status": "success"}  # fmt: skip
    final = with_tokens | {"toolCalls": [tool]}
    c.lines.append(final)
    c.messages.append(final)
    truth.responses.append(
        Real(parent or c.session, at.date().isoformat(), billed_model, *billed, c.project,
             main=not parent)
    )  # fmt: skip
    return final


def header(c: Chat, kind: str = "main") -> dict[str, Any]:
    return {"sessionId": c.session, "projectHash": "h", "startTime": iso(c.clock),
            "lastUpdated": iso(c.clock), "kind": kind, "directories": [c.project]}  # fmt: skip


def write_jsonl(path: Path, c: Chat, kind: str = "main", tail: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(header(c, kind)), *(json.dumps(x) for x in c.lines)]
    path.write_text("".join(ln + "\n" for ln in lines) + tail, encoding="utf-8")


def write_json(path: Path, c: Chat) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = header(c) | {"messages": c.messages}
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def build(gemini: Path, seed: int = 5) -> Truth:
    """Write a `.gemini` folder full of quirks at `gemini`; return what must be counted."""
    rng = random.Random(seed)
    truth = Truth()
    tmp = gemini / "tmp"
    webapp, api = "/home/dev/src/webapp", "/home/dev/src/api"
    (tmp / "webapp").mkdir(parents=True)
    (tmp / "webapp" / ".project_root").write_text(webapp + "\n")
    (gemini / "projects.json").write_text(json.dumps({"projects": {webapp: "webapp", api: "api"}}))
    a = _main_session(tmp / "webapp" / "chats", webapp, rng, truth)
    sub = Chat("sub-1", webapp, a.clock + timedelta(minutes=1))
    for _ in range(2):
        reply(sub, truth, rng, model="gemini-3-flash-preview",
              billed_model="gemini-3-flash-preview", parent=a.session)  # fmt: skip
    write_jsonl(tmp / "webapp" / "chats" / a.session / f"{sub.session}.jsonl", sub, "subagent")
    _legacy(tmp / "api" / "chats", api, rng, truth)
    d = Chat("sess-d", "", START + timedelta(days=1, hours=3))
    reply(d, truth, rng, apart=True)
    reply(d, truth, rng)
    truth.malformed += 1
    path = tmp / "3f2a9c0d1e2b4a5f" / "chats" / "session-2026-11-04T12-00-sess-d.jsonl"
    write_jsonl(path, d, tail='{"id": "sess-d-m9", "timestamp": "2026-11-04T12:')
    return truth


def _main_session(chats: Path, project: str, rng: random.Random, truth: Truth) -> Chat:
    a = Chat("sess-a", project, START)
    user(a)
    first = reply(a, truth, rng)
    user(a)
    reply(a, truth, rng, rewrite_tokens=True)
    a.lines.append({"$set": {"lastUpdated": iso(a.clock)}})
    a.lines.append({"$set": {"summary": SENTINEL + "summary"}})
    reply(a, truth, rng, model=None)  # no model on the message: the file's last one
    a.lines.append({"$set": {"messages": list(a.messages)}})
    a.lines.append({"$rewindTo": first["id"]})  # rewound, but it was billed
    reply(a, truth, rng, model="gemini-3-flash-preview", billed_model="gemini-3-flash-preview")
    nothing = {"input": 0, "output": 0, "total": 0}
    zero = {"id": a.new_id(), "timestamp": iso(a.tick()), "type": "info",
            "content": SENTINEL + "info", "tokens": nothing}  # fmt: skip
    error = {"id": a.new_id(), "timestamp": iso(a.tick()), "type": "error",
             "content": SENTINEL + "error"}  # fmt: skip
    negative = {"id": a.new_id(), "timestamp": iso(a.tick()), "type": "gemini",
                "tokens": {"input": -5, "output": 3}}  # fmt: skip
    a.lines += [zero, error, negative]
    truth.malformed += 1
    write_jsonl(chats / "session-2026-11-03T09-00-sess-a.jsonl", a)
    # A line cut in the middle of the file (a crash while writing, then more lines).
    path = chats / "session-2026-11-03T09-00-sess-a.jsonl"
    lines = path.read_text().split("\n")
    lines.insert(4, '{"id": "sess-a-m2", "timestamp": "2026-11-03T09:00:22.000Z", "type": "gem')
    path.write_text("\n".join(lines))
    truth.malformed += 1
    return a


def _legacy(chats: Path, project: str, rng: random.Random, truth: Truth) -> None:
    # A legacy .json session, then resumed: the CLI writes <file>.jsonl with a copy of it.
    b = Chat("sess-b", project, START + timedelta(days=1))
    user(b)
    reply(b, truth, rng, model="gemini-2.5-pro", billed_model="gemini-2.5-pro")
    reply(b, truth, rng, model="gemini-2.5-pro", billed_model="gemini-2.5-pro")
    write_json(chats / "session-2026-11-04T09-00-sess-b.json", b)
    resumed = Chat("sess-b", project, b.clock, lines=list(b.messages), n=b.n)
    reply(resumed, truth, rng, model="gemini-2.5-pro", billed_model="gemini-2.5-pro")
    write_jsonl(chats / "session-2026-11-04T09-00-sess-b.jsonl", resumed)
    # Only the legacy document.
    c = Chat("sess-c", project, START + timedelta(days=1, hours=1))
    reply(c, truth, rng)
    write_json(chats / "session-2026-11-04T10-00-sess-c.json", c)
