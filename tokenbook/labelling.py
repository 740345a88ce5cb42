"""Sync's side of command, skill, run-kind and agent-type attribution (docs/commands-and-skills.md).

For every session a sync read new bytes of, its transcript files are labelled whole
(`sources.claude_turns.labels`: a response's turn needs the lines before it) and subagents
inherit their spawning call's labels (`sources.claude_resolve.resolve`). The labels are joined
into the records like every other fact: kept once seen, so a deleted log or meta file never
takes one away, and the larger of two wins, so every clone keeps the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.records import record_id
from tokenbook.sources.claude_code import NAME
from tokenbook.sources.claude_resolve import Meta
from tokenbook.sources.claude_resolve import Resolved
from tokenbook.sources.claude_resolve import resolve
from tokenbook.sources.claude_turns import labels
from tokenbook.store import LedgerSet

SUBAGENTS = "subagents"


def session_groups(paths: Iterable[str | Path]) -> dict[Path, tuple[Path | None, list[Path]]]:
    """Session folder key → (its main transcript, its subagent transcripts), for the sessions
    the given files belong to. A legacy `agent-*.jsonl` beside the main files is its own group
    (its session is only in its lines)."""
    groups: dict[Path, tuple[Path | None, list[Path]]] = {}
    for raw in paths:
        p = Path(raw)
        if p.parent.name == SUBAGENTS:
            folder = p.parent.parent
        elif p.name.startswith("agent-"):
            groups[p] = (None, [p])
            continue
        else:
            folder = p.with_suffix("")
        if folder in groups:
            continue
        main = folder.with_suffix(".jsonl")
        subs = sorted((folder / SUBAGENTS).glob("agent-*.jsonl"))
        groups[folder] = (main if main.is_file() else None, subs)
    return groups


def _metas(subs: list[Path]) -> dict[str, Meta]:
    out = {}
    for sub in subs:
        meta = sub.with_name(sub.stem + ".meta.json")
        try:
            data = json.loads(meta.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            kind, call = data.get("agentType"), data.get("toolUseId")
            out[sub.stem.removeprefix("agent-")] = Meta(
                agent_type=kind if isinstance(kind, str) else "",
                tool_use_id=call if isinstance(call, str) else "",
            )
    return out


def labels_of(paths: Iterable[str | Path]) -> dict[str, Resolved]:
    """Response key (`message.id` NUL `requestId`) → its labels, for the sessions of `paths`."""
    out: dict[str, Resolved] = {}
    for main, subs in session_groups(paths).values():
        found = resolve(
            labels(main) if main is not None else None, [labels(s) for s in subs], _metas(subs)
        )
        out.update(found)
    return out


def label_id(key: str) -> str:
    """The record id of a response key (`message.id` NUL `requestId`)."""
    mid, _, rid = key.partition("\x00")
    return record_id(NAME, mid, rid)


def labelled(rec: Rec, res: Resolved) -> Rec:
    """The record with its labels joined in (itself when they change nothing)."""
    ctx = rec.ctx
    agent = res.agent if (not ctx.main and res.agent and not ctx.agent) else ctx.agent
    with_labels = replace(
        rec, ctx=replace(ctx, command=res.command, skill=res.skill, run=res.run, agent=agent)
    )
    return join(rec, with_labels)


def apply_labels(ledgers: LedgerSet, found: dict[str, Resolved]) -> set[str]:
    """Join the labels into the records they name; return the ledgers touched."""
    touched: set[str] = set()
    for key, res in found.items():
        placed = ledgers.records.get(label_id(key))
        if placed is None:
            continue
        ledger, rec = placed
        joined = labelled(rec, res)
        if joined != rec:
            ledgers.place(joined, ledger)
            touched.add(ledger)
    return touched
