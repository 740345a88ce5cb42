"""Claude Code transcripts written from the shapes in ../shared/docs/skills-and-commands.md:
prompts, command echoes (old name-first and new message-first), meta expansions, Skill and
Task/Agent calls with their results, subagent files, compaction, scheduled fires.

Each response has input 1 and a distinct output count, so a test can add tokens by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
MODEL = "claude-sonnet-4-5-20250929"


@dataclass
class Transcript:
    session: str
    version: str = "2.1.114"
    entrypoint: str | None = "cli"
    agent_id: str | None = None  # a subagent file: every line carries agentId, isSidechain
    compact: bool = True  # Claude Code's own JSON (no spaces); False: `json.dumps` defaults
    lines: list[dict[str, Any] | str] = field(default_factory=list)
    clock: int = 0
    last: str | None = None

    def _envelope(self, kind: str, **extra: Any) -> dict[str, Any]:
        self.clock += 1
        uuid = f"{self.agent_id or self.session}-u{len(self.lines)}"
        line: dict[str, Any] = {
            "parentUuid": self.last,
            "isSidechain": self.agent_id is not None,
            "userType": "external",
            "cwd": "/home/dev/src/webapp",
            "sessionId": self.session,
            "version": self.version,
            "gitBranch": "main",
        }
        if self.agent_id is not None:
            line["agentId"] = self.agent_id
        if self.entrypoint is not None:
            line["entrypoint"] = self.entrypoint
        line |= {"type": kind, "uuid": uuid}
        line["timestamp"] = (
            (START + timedelta(seconds=self.clock)).isoformat().replace("+00:00", "Z")
        )
        line |= extra
        self.lines.append(line)
        self.last = uuid
        return line

    def prompt(self, content: Any, **extra: Any) -> str:
        """A user line (a prompt, a command echo, command output...); returns its uuid."""
        line = self._envelope("user", message={"role": "user", "content": content}, **extra)
        return str(line["uuid"])

    def meta(self, text: str, **extra: Any) -> None:
        self.prompt([{"type": "text", "text": text}], isMeta=True, **extra)

    def response(
        self,
        msg: str,
        output: int,
        *,
        tools: list[dict[str, Any]] = (),  # type: ignore[assignment]
        parts: int = 1,
        **extra: Any,
    ) -> None:
        """One API response written over `parts` lines (placeholder usage on all but the last)."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": "Working on it."}]
        blocks += [{"type": "tool_use", **t} for t in tools]
        per = max(1, len(blocks) // parts)
        chunks = [blocks[i : i + per] for i in range(0, len(blocks), per)][:parts]
        for n, chunk in enumerate(chunks):
            usage = {
                "input_tokens": 1,
                "output_tokens": output if n == len(chunks) - 1 else 1,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
            message = {
                "id": msg,
                "type": "message",
                "role": "assistant",
                "model": MODEL,
                "content": chunk,
                "stop_reason": "tool_use" if tools else "end_turn",
                "usage": usage,
            }
            self._envelope("assistant", message=message, requestId=f"req_{msg}", **extra)

    def result(self, call: str, result: Any = None, text: str = "done") -> None:
        content = [{"type": "tool_result", "tool_use_id": call, "content": text}]
        extra = {} if result is None else {"toolUseResult": result}
        self._envelope("user", message={"role": "user", "content": content}, **extra)

    def system(self, subtype: str, **extra: Any) -> None:
        self._envelope("system", subtype=subtype, **extra)

    def raw(self, text: str) -> None:
        self.lines.append(text)

    def text(self) -> str:
        seps = (",", ":") if self.compact else (", ", ": ")
        out = []
        for ln in self.lines:
            out.append(ln if isinstance(ln, str) else json.dumps(ln, separators=seps))
        return "".join(f"{ln}\n" for ln in out)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text(), encoding="utf-8")
        return path


def skill_call(call: str, skill: str) -> dict[str, Any]:
    return {"id": call, "name": "Skill", "input": {"skill": skill, "args": "private args"}}


def agent_call(call: str, kind: str | None, tool: str = "Agent", **extra: Any) -> dict[str, Any]:
    given: dict[str, Any] = {"description": "look around", "prompt": "a private prompt"}
    if kind is not None:
        given["subagent_type"] = kind
    return {"id": call, "name": tool, "input": given | extra}


def new_command(name: str, args: str | None = None, message: str = "") -> str:
    """The message-first echo of a prompt command (2.0.x+): `<command-message>` first."""
    text = f"<command-message>{message or name + ' is running…'}</command-message>\n"
    text += f"<command-name>/{name}</command-name>"
    if args is not None:
        text += f"\n<command-args>{args}</command-args>"
    return text


def old_command(name: str, slash: bool = True, indent: int = 12) -> str:
    """The name-first echo (1.0.24 has no slash; later versions do), args tag always there."""
    pad = "\n" + " " * indent
    return (
        f"<command-name>{'/' if slash else ''}{name}</command-name>{pad}"
        f"<command-message>{name}</command-message>{pad}<command-args></command-args>"
    )
