"""The slash command, skill and run kind of each API response in one Claude Code transcript.

`labels(path)` reads one file (a main `<session>.jsonl` or a subagent `agent-<id>.jsonl`) in
file order and returns, per response key (`message.id` NUL `requestId`, the scanner's key), the
labels of the rule in docs/commands-and-skills.md:

- the turn is opened by the latest user prompt (not meta, a compaction summary, a tool result,
  command output or an interruption); its command is the prompt's `<command-name>`;
- a skill is active from its activation (the meta line of a `Skill` call, a user-typed `/skill`
  whose expansion is a skill body) until the next turn or a later activation;
- the run kind comes from the prompt's `entrypoint`, `promptSource`, `sessionKind`, a scheduled
  task firing just before it, or (old logs) a bare `dequeue` as the file's first line.

A main file also maps each subagent it spawned (`Task`/`Agent` calls and forked skills, joined
through the result's `agentId`) to the labels of its spawning call; `resolve` hands those down.
Lines are filtered by their bytes before any JSON is parsed (most lines need none), malformed
lines are skipped silently (the scanner reports them), and no text is kept: names and ids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from tokenbook.sources import claude_lines as cl
from tokenbook.sources import claude_turn_scan as scan


@dataclass(frozen=True, slots=True)
class Labels:
    command: str = ""  # `/name`, '' for none
    skill: str = ""  # '' for none
    run: str = ""  # interactive, headless, scheduled, background; '' unknown


@dataclass(frozen=True, slots=True)
class Spawn:
    """The call that started a subagent: the labels in force at it, and the agent's type."""

    labels: Labels
    agent_type: str = ""


@dataclass(slots=True)
class FileLabels:
    agent_id: str = ""  # a subagent file's `agentId`; '' for a main-thread file
    responses: dict[str, Labels] = field(default_factory=dict)
    spawns: dict[str, Spawn] = field(default_factory=dict)  # agentId → its spawning call
    calls: dict[str, Spawn] = field(default_factory=dict)  # tool_use id → a Task/Agent call
    copies: dict[str, str] = field(default_factory=dict)  # key → agentId (agent_progress)
    prompts: dict[str, Labels] = field(default_factory=dict)  # promptId → its turn's labels
    prompt_id: str = ""  # a subagent's first promptId: its parent's turn
    warmup: bool = False  # a 2.0.x warmup sidechain (first prompt `Warmup`), never spawned
    agent_type: str = ""  # `attributionAgent` on its own lines (the type, no link)


Mark = tuple[str, str, int]  # command, skill, turn number


@dataclass(slots=True)
class _Signals:
    """What a turn's prompt says about how it was run."""

    entrypoint: str = ""
    prompt_source: str = ""
    scheduled: bool = False


@dataclass(slots=True)
class Walk:
    """The state of one pass over a file."""

    main: bool
    out: FileLabels = field(default_factory=FileLabels)
    turns: list[_Signals] = field(default_factory=lambda: [_Signals()])
    turn: int = 0
    command: str = ""
    skill: str = ""
    opener: str = ""  # the uuid of the turn's prompt
    typed_skill: str = ""  # what a command prompt activates if its expansion is a skill body
    fired: bool = False  # a scheduled task fired since the last prompt
    agent_ids: int = 0  # `"agentId"` keys every line of this file has (1 in subagent files)
    entrypoint: str = ""
    session_kind: str = ""
    bare_dequeue: bool = False
    seen_prompt: bool = False
    skill_calls: dict[str, str] = field(default_factory=dict)  # tool_use id → skill
    spawn_calls: dict[str, tuple[Mark, str]] = field(default_factory=dict)
    spawns: dict[str, tuple[Mark, str]] = field(default_factory=dict)  # agentId → call
    background: dict[str, Mark] = field(default_factory=dict)  # background task id → turn
    marks: dict[str, Mark] = field(default_factory=dict)
    prompts: dict[str, Mark] = field(default_factory=dict)

    def mark(self) -> Mark:
        return (self.command, self.skill, self.turn)

    # ----- lines (`claude_turn_scan` picks them from the bytes)

    def on_line(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        kind = obj.get("type")
        if kind == "assistant":
            key = cl.key_of(obj)
            self._calls(obj)
            if key:
                self.on_response(key, cl.text(obj, "attributionSkill"))
        elif kind == "user":
            self._user(obj)
        elif kind == "system" and obj.get("subtype") == "scheduled_task_fire":
            self.fired = True

    def on_response(self, key: str, stamped: str) -> None:
        self.typed_skill = ""  # a command's expansion comes before its first response
        mark = self.mark()
        if not mark[1] and stamped:  # Claude Code's own stamp where the rule found none
            mark = (mark[0], stamped, mark[2])
        self.marks.setdefault(key, mark)

    def _calls(self, obj: dict[str, Any]) -> None:
        for call_id, name, given in cl.tool_uses(obj):
            if name == cl.SKILL_TOOL:
                self.skill_calls[call_id] = cl.text(given, "skill").lstrip("/")
            else:
                self.spawn_calls[call_id] = (self.mark(), cl.text(given, "subagent_type"))

    def on_copy(self, obj: Any) -> None:
        data = obj.get("data") if isinstance(obj, dict) else None
        nested = data.get("message") if isinstance(data, dict) else None
        if isinstance(nested, dict) and nested.get("type") == "assistant":
            key, agent = cl.key_of(nested), cl.text(data, "agentId") or cl.text(nested, "agentId")
            if key and agent:
                self.out.copies.setdefault(key, agent)

    def _user(self, obj: dict[str, Any]) -> None:
        message = obj.get("message")
        if cl.has_tool_result(message):
            self._result(obj, cl.tool_result_id(message))
            return
        prompt = cl.text_of(message)
        if not self.main and not self.seen_prompt:
            self.seen_prompt = True
            self.out.warmup = prompt.strip() == cl.WARMUP
            self.out.prompt_id = cl.text(obj, "promptId")
        if obj.get("isMeta") is True:
            self._meta(obj, prompt)
        elif self.main and cl.is_opener(obj):
            self._open(obj, prompt)

    def _result(self, obj: dict[str, Any], call_id: str) -> None:
        result = obj.get("toolUseResult")
        if not isinstance(result, dict):
            return
        agent = cl.text(result, "agentId")
        if call_id in self.skill_calls:
            name = self.skill_calls[call_id] or cl.text(result, "commandName").lstrip("/")
            self.skill_calls[call_id] = name
            if agent and result.get("status") == "forked":  # the skill runs in that subagent
                self.spawns[agent] = ((self.command, name, self.turn), "")
        elif call_id in self.spawn_calls and agent:
            mark, given = self.spawn_calls[call_id]
            self.spawns[agent] = (mark, cl.text(result, "agentType") or given or cl.DEFAULT_AGENT)
        background = cl.text(result, "backgroundTaskId")
        if background:
            self.background[background] = self.mark()

    def _meta(self, obj: dict[str, Any], prompt: str) -> None:
        source = cl.text(obj, "sourceToolUseID")
        if source:
            if source in self.skill_calls:
                self.skill = self.skill_calls[source]  # activation by the Skill tool
            return
        companion = obj.get("turnCompanion") is True
        if self.typed_skill and (companion or obj.get("parentUuid") == self.opener):
            if companion or prompt.startswith(cl.SKILL_BODY):
                self.skill = self.typed_skill  # a user-typed `/skill`
            self.typed_skill = ""

    def _open(self, obj: dict[str, Any], prompt: str) -> None:
        signals = _Signals(cl.text(obj, "entrypoint"), cl.text(obj, "promptSource"), self.fired)
        self.fired = False
        if cl.is_notification(obj, prompt) or signals.prompt_source == "system":
            task = cl.task_id(prompt)
            launched = self.spawns[task][0] if task in self.spawns else self.background.get(task)
            if launched is not None:  # a background agent reports back: its turn goes on
                self.command, self.skill, self.turn = launched[0], "", launched[2]
                self.typed_skill = ""
                return
            signals.scheduled = True
        self.turns.append(signals)
        self.turn = len(self.turns) - 1
        self.command, self.skill = cl.command_of(prompt), ""
        self.opener = cl.text(obj, "uuid")
        self.typed_skill = self.command[1:]
        prompt_id = cl.text(obj, "promptId")
        if prompt_id:  # local commands reuse the previous prompt's id: the first one stays
            self.prompts.setdefault(prompt_id, (self.command, "", self.turn))

    # ----- the answer

    def finish(self) -> FileLabels:
        shared: dict[Labels, Labels] = {}
        known: dict[Mark, Labels] = {}  # most responses share their turn's mark

        def labels(mark: Mark) -> Labels:
            if mark in known:
                return known[mark]
            s = self.turns[mark[2]]
            run = cl.run_kind(
                s.entrypoint or self.entrypoint,
                s.prompt_source,
                self.session_kind,
                s.scheduled,
                self.bare_dequeue,
            )
            found = Labels(mark[0], mark[1], run)
            known[mark] = shared.setdefault(found, found)
            return known[mark]

        out = self.out
        out.responses = {k: labels(m) for k, m in self.marks.items()}
        out.spawns = {a: Spawn(labels(m), t) for a, (m, t) in self.spawns.items()}
        out.calls = {
            c: Spawn(labels(m), t or cl.DEFAULT_AGENT) for c, (m, t) in self.spawn_calls.items()
        }
        out.prompts = {p: labels(m) for p, m in self.prompts.items()}
        return out


def is_subagent_file(path: Path) -> bool:
    return path.name.startswith("agent-")


def labels(path: Path) -> FileLabels:
    """The labels of every response in one transcript file (empty if it cannot be read)."""
    walk = Walk(main=not is_subagent_file(path))
    if not walk.main:
        walk.agent_ids = 1
        walk.out.agent_id = path.stem.removeprefix("agent-")
    try:
        scan.read(path, walk)
    except OSError:
        return FileLabels(agent_id=walk.out.agent_id)
    return walk.finish()
