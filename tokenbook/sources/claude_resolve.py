"""Subagents inherit the labels of the call that spawned them (`claude_turns` reads each file).

A subagent's responses get the command and run kind of its spawning call's turn, and the skill
active at that call unless a skill of its own is activated later in its file; a forked skill's
subagent runs under that skill from its first response. Spawns are followed through nested
subagents. The agent type comes from, in order: the agent's `.meta.json`, the spawning result's
`agentType`, the call's `subagent_type` (default `general-purpose`), `attributionAgent` on its
own lines, `warmup` for a 2.0.x warmup sidechain; else '' (unknown).

Unjoined subagents (no spawning call found) take the command and run kind of the turn their
`promptId` names, and no skill; warmups take nothing: they are not caused by the turn that
happened to be running.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from tokenbook.sources.claude_turns import FileLabels
from tokenbook.sources.claude_turns import Labels
from tokenbook.sources.claude_turns import Spawn

WARMUP = "warmup"


@dataclass(frozen=True, slots=True)
class Resolved:
    command: str
    skill: str
    run: str
    agent: str  # the subagent's type; '' on the main thread or when unknown


@dataclass(frozen=True, slots=True)
class Meta:
    """What an `agent-<id>.meta.json` says, when it still exists."""

    agent_type: str = ""
    tool_use_id: str = ""


class _Session:
    def __init__(
        self, main: FileLabels | None, subagents: Iterable[FileLabels], metas: Mapping[str, Meta]
    ) -> None:
        self.main = main
        self.subs = {s.agent_id: s for s in subagents}
        self.metas = metas
        self.done: dict[str, tuple[Labels, str]] = {}
        self.busy: set[str] = set()

    def _spawn(self, agent_id: str) -> tuple[Spawn | None, str | None]:
        """The spawning call and the agent that made it (None: the main thread)."""
        files: list[tuple[FileLabels, str | None]] = [(s, s.agent_id) for s in self.subs.values()]
        if self.main is not None:
            files.insert(0, (self.main, None))
        for f, parent in files:
            if agent_id in f.spawns:
                return f.spawns[agent_id], parent
        call = self.metas.get(agent_id, Meta()).tool_use_id
        for f, parent in files if call else ():
            if call in f.calls:
                return f.calls[call], parent
        return None, None

    def inherited(self, agent_id: str) -> tuple[Labels, str]:
        """The labels a subagent inherits, and its type."""
        if agent_id in self.done:
            return self.done[agent_id]
        if agent_id in self.busy:  # a spawn loop in broken logs: stop
            return Labels(), ""
        self.busy.add(agent_id)
        spawn, parent = self._spawn(agent_id)
        own = self.subs.get(agent_id, FileLabels(agent_id=agent_id))
        if spawn is None:
            labels = self._by_prompt(own)
        elif parent is None:
            labels = spawn.labels
        else:
            up = self.inherited(parent)[0]
            labels = Labels(up.command, spawn.labels.skill or up.skill, up.run)
        kind = (
            self.metas.get(agent_id, Meta()).agent_type
            or (spawn.agent_type if spawn else "")
            or own.agent_type
            or (WARMUP if own.warmup else "")
        )
        self.busy.discard(agent_id)
        self.done[agent_id] = (labels, kind)
        return labels, kind

    def _by_prompt(self, own: FileLabels) -> Labels:
        if own.warmup or self.main is None or own.prompt_id not in self.main.prompts:
            return Labels()
        turn = self.main.prompts[own.prompt_id]
        return Labels(turn.command, "", turn.run)


def resolve(
    main: FileLabels | None,
    subagents: Iterable[FileLabels],
    metas: Mapping[str, Meta] | None = None,
) -> dict[str, Resolved]:
    """Response key → its labels, for one session: its main file (None if gone), its subagent
    files, and the meta files still there (agentId → Meta)."""
    session = _Session(main, subagents, metas or {})
    out: dict[str, Resolved] = {}
    if main is not None:
        for key, m in main.responses.items():
            out[key] = Resolved(m.command, m.skill, m.run, "")
    for sub in session.subs.values():
        up, kind = session.inherited(sub.agent_id)
        for key, m in sub.responses.items():
            skill = "" if sub.warmup else m.skill or up.skill
            out[key] = Resolved(up.command, skill, up.run or m.run, kind)
    for key, agent in main.copies.items() if main is not None else ():
        if key not in out:  # an `agent_progress` copy whose subagent file is gone
            up, kind = session.inherited(agent)
            out[key] = Resolved(up.command, up.skill, up.run, kind)
    return out
