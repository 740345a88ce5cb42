"""Sync's side of command, skill, run-kind and agent-type attribution (docs/commands-and-skills.md).

For every session a sync read new bytes of, its transcript files are labelled whole
(`sources.claude_turns.labels`: a response's turn needs the lines before it) and subagents
inherit their spawning call's labels (`sources.claude_resolve.resolve`). The labels are joined
into the records like every other fact: kept once seen, so a deleted log or meta file never
takes one away, and the larger of two wins, so every clone keeps the same.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tokenbook import forked
from tokenbook.records import Context
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
PARALLEL_BYTES = 8_000_000  # below this a second process costs more than it saves


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
    """Response key (`message.id` NUL `requestId`) → its labels, for the sessions of `paths`.
    A key in two sessions' files (a resumed session copies the old one's lines) gets both
    views joined as records join them (the larger of two labels), so what a response is
    labelled does not depend on which sessions one sync happened to read."""
    out: dict[str, Resolved] = {}
    for found in _resolved(list(session_groups(paths).values())):
        for key, res in found.items():
            known = out.get(key)
            out[key] = res if known is None or known == res else joined_labels(known, res)
    return out


def joined_labels(a: Resolved, b: Resolved) -> Resolved:
    return Resolved(
        command=max(a.command, b.command),
        skill=max(a.skill, b.skill),
        run=max(a.run, b.run),
        agent=max(a.agent, b.agent),
    )


Group = tuple[Path | None, list[Path]]


def _resolve(group: Group) -> dict[str, Resolved]:
    main, subs = group
    return resolve(
        labels(main) if main is not None else None, [labels(s) for s in subs], _metas(subs)
    )


def _resolved(groups: list[Group]) -> list[dict[str, Resolved]]:
    """Each group's labels, in order; on two cores when there is enough to read."""
    sizes = [sum(_size(p) for p in [*([g[0]] if g[0] else []), *g[1]]) for g in groups]
    if sum(sizes) < PARALLEL_BYTES or len(groups) < 2 or not forked.can_fork():
        return [_resolve(g) for g in groups]
    shares: tuple[list[int], list[int]] = ([], [])
    load = [0, 0]
    for i in sorted(range(len(groups)), key=lambda i: -sizes[i]):
        share = 0 if load[0] <= load[1] else 1
        shares[share].append(i)
        load[share] += sizes[i]
    mine, theirs = shares

    def child() -> bytes:
        return marshal.dumps([(i, _plain(_resolve(groups[i]))) for i in theirs])

    blob, own = forked.in_two(child, lambda: {i: _resolve(groups[i]) for i in mine})
    other = _unplain(blob)
    if other is None:  # the child failed: label its share here
        other = {i: _resolve(groups[i]) for i in theirs}
    return [own[i] if i in own else other[i] for i in range(len(groups))]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _plain(found: dict[str, Resolved]) -> dict[str, tuple[str, str, str, str]]:
    return {k: (r.command, r.skill, r.run, r.agent) for k, r in found.items()}


def _unplain(blob: bytes | None) -> dict[int, dict[str, Resolved]] | None:
    if blob is None:
        return None
    try:
        return {i: {k: Resolved(*r) for k, r in found.items()} for i, found in marshal.loads(blob)}
    except (EOFError, ValueError, TypeError):
        return None


def label_id(key: str) -> str:
    """The record id of a response key (`message.id` NUL `requestId`)."""
    mid, _, rid = key.partition("\x00")
    return record_id(NAME, mid, rid)


def labelled(rec: Rec, res: Resolved) -> Rec:
    """The record with its labels joined in (equal to itself when they change nothing)."""
    ctx = rec.ctx
    agent = res.agent if (not ctx.main and res.agent and not ctx.agent) else ctx.agent
    with_labels = replace(
        rec, ctx=replace(ctx, command=res.command, skill=res.skill, run=res.run, agent=agent)
    )
    return join(rec, with_labels)


class Labeller:
    """`labelled` of many records. A record and its labelled copy differ in their context's
    labels alone, so `join` keeps the rest of the record and makes the same context of the
    same context and labels: that is joined once."""

    def __init__(self) -> None:
        self.contexts: dict[tuple[Context, Resolved], Context] = {}

    def __call__(self, rec: Rec, res: Resolved) -> Rec:
        key = (rec.ctx, res)
        ctx = self.contexts.get(key)
        if ctx is None:
            ctx = self.contexts[key] = labelled(rec, res).ctx
        if ctx == rec.ctx:
            return rec
        return Rec(
            id=rec.id,
            ctx=ctx,
            at=rec.at,
            tokens=rec.tokens,
            web_search=rec.web_search,
            web_fetch=rec.web_fetch,
            copy=rec.copy,
        )


def apply_labels(
    ledgers: LedgerSet, found: dict[str, Resolved], ids: Mapping[str, str] | None = None
) -> set[str]:
    """Join the labels into the records they name; return the ledgers touched. `ids`: the
    record ids of log keys, where known already."""
    touched: set[str] = set()
    label = Labeller()
    ids = ids or {}
    for key, res in found.items():
        placed = ledgers.records.get(ids.get(key) or label_id(key))
        if placed is None:
            continue
        ledger, rec = placed
        joined = label(rec, res)
        if joined is not rec:
            ledgers.relabel(joined, ledger)
            touched.add(ledger)
    return touched
