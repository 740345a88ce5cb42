"""OpenAI Codex CLI rollouts → one Response per billed model response.

Where: each Codex home (`$CODEX_HOME`, a comma-separated list, else `~/.codex`) holds
`sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/rollout-*.jsonl`.

Counting rules (docs/agents.md, "Codex CLI"):
- a `token_count` event counts only when the thread's cumulative total (all five fields) is one
  not seen before in that file: re-emitted snapshots and stale out-of-order ones count nothing;
- its usage is `last_token_usage`; where only totals exist, the difference from the previous
  total; a total that drops (compaction, resume) starts a new baseline and counts in full;
- a fork or sub-agent file starts with a copy of its parent's events: that prefix (matched
  against the parent file's totals, else the events stamped in the child's creation second)
  only sets the baseline;
- one file per thread id: the active copy wins over the archived one;
- input = input - cached, cache_read = cached, output includes reasoning;
- model: the event's own, else the last `turn_context`, else `model` in the home's
  config.toml, else `gpt-5`; `codex-auto-review` becomes the newest model of its date.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from tokenbook.events import Tokens
from tokenbook.sources.base import Read
from tokenbook.sources.base import Response
from tokenbook.sources.codex_log import Line
from tokenbook.sources.codex_log import Thread
from tokenbook.sources.codex_log import Usage
from tokenbook.sources.codex_log import read_thread
from tokenbook.sources.records import walk

NAME = "codex"
FALLBACK_MODEL = "gpt-5"
AUTO_REVIEW = "codex-auto-review"
# codex-auto-review runs the newest model released on or before the event's date.
AUTO_REVIEW_MODELS = (
    (date(2026, 4, 23), "gpt-5.5"),
    (date(2026, 3, 5), "gpt-5.4"),
    (date(2026, 2, 5), "gpt-5.3-codex"),
    (date(2025, 12, 11), "gpt-5.2-codex"),
    (date(2025, 11, 13), "gpt-5.1-codex"),
    (date(2025, 9, 15), "gpt-5-codex"),
    (date(2025, 8, 7), "gpt-5"),
)


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`$CODEX_HOME` (a comma-separated list), else ~/.codex."""
    listed = env.get("CODEX_HOME", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    return [home / ".codex"]


def looks_like(path: Path) -> bool:
    """A Codex home (`sessions/` or `archived_sessions/`), or a folder of rollout files."""
    if (path / "sessions").is_dir() or (path / "archived_sessions").is_dir():
        return True
    return path.is_dir() and any(path.glob("rollout-*.jsonl"))


def discover(dirs: Iterable[Path]) -> list[tuple[Path, Path, bool]]:
    """(home, rollout file, archived?) for every rollout below the homes, sorted."""
    found: list[tuple[Path, Path, bool]] = []
    for home in dirs:
        active, archived = home / "sessions", home / "archived_sessions"
        roots = [(active, False), (archived, True)]
        if not active.is_dir() and not archived.is_dir():
            roots = [(home, False)]
        for root, is_archived in roots:
            found += [(home, f, is_archived) for f in walk([root], (".jsonl",))]
    return sorted(set(found))


def read(dirs: Iterable[Path]) -> Read:
    out = Read()
    homes = list(dirs)
    threads: dict[str, Thread] = {}
    fallback: dict[Path, str] = {}
    for home, path, archived in discover(homes):
        thread = read_thread(path, archived, out.skipped)
        out.files += 1
        if thread is None:
            continue
        out.bytes += thread.size
        fallback[path] = fallback_model(home)
        known = threads.get(thread.id)
        if known is None or _rank(thread) > _rank(known):
            threads[thread.id] = thread
    for thread in sorted(threads.values(), key=lambda t: t.id):
        parent = threads.get(thread.parent) if thread.parent else None
        parent_totals = {ln.total for ln in parent.lines if ln.total} if parent else set()
        out.responses += responses(thread, parent_totals, fallback[thread.path])
    return out


def _rank(t: Thread) -> tuple[bool, int, str]:
    """Which copy of a thread is read: the active one, then the longer, then by path."""
    return (not t.archived, t.size, str(t.path))


def fallback_model(home: Path) -> str:
    """`model` in the home's config.toml (Codex's own default), else gpt-5."""
    try:
        with open(home / "config.toml", "rb") as f:
            value = tomllib.load(f).get("model")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return FALLBACK_MODEL
    return value.strip() if isinstance(value, str) and value.strip() else FALLBACK_MODEL


def replayed(thread: Thread, parent_totals: set[Usage]) -> int:
    """How many leading usage lines copy the parent's history (0 for a thread of its own)."""
    if not thread.parent:
        return 0
    n = 0
    while n < len(thread.lines) and thread.lines[n].total in parent_totals:
        n += 1
    if n or thread.created is None:
        return n
    second = thread.created.replace(microsecond=0)
    while n < len(thread.lines) and thread.lines[n].at.replace(microsecond=0) <= second:
        n += 1
    return n


def deltas(thread: Thread, parent_totals: set[Usage]) -> list[tuple[Line, Usage]]:
    """Each usage line that is a new response, with that response's usage."""
    skip = replayed(thread, parent_totals)
    seen: set[Usage] = set()
    previous: Usage | None = None
    found: list[tuple[Line, Usage]] = []
    for i, line in enumerate(thread.lines):
        total = line.total
        if total is None:  # no running total: nothing to tell a repeat by
            if i >= skip and line.last is not None:
                found.append((line, line.last))
            continue
        if total in seen:
            continue
        seen.add(total)
        before, previous = previous, total
        if i < skip:
            continue
        if line.last is not None:
            found.append((line, line.last))
        elif before is not None and total.size() >= before.size():
            found.append((line, total.minus(before)))
        else:  # the first total, or one after a reset: all of it is new
            found.append((line, total))
    return found


def tokens(u: Usage) -> Tokens:
    cached = min(u.cached, u.input)
    output = u.output
    if u.reasoning and u.total == u.input + u.output + u.reasoning:
        output += u.reasoning  # this log kept reasoning out of output_tokens
    return Tokens(input=u.input - cached, cache_read=cached, output=output)


def model_of(line: Line, fallback: str) -> str:
    model = line.model or fallback
    if model == AUTO_REVIEW:
        day = line.at.date()
        return next((m for start, m in AUTO_REVIEW_MODELS if start <= day), FALLBACK_MODEL)
    return model


def responses(thread: Thread, parent_totals: set[Usage], fallback: str) -> list[Response]:
    out = []
    for line, u in deltas(thread, parent_totals):
        t = tokens(u)
        if t.total == 0:
            continue
        out.append(
            Response(
                source=NAME,
                key=f"{thread.id}:{line.number}",
                at=line.at,
                session=thread.spawned_by or thread.id,
                model=model_of(line, fallback),
                tokens=t,
                project=line.cwd,
                branch=thread.branch,
                main=not thread.subagent,
                agent_id=thread.id if thread.subagent else "",
                agent=thread.agent if thread.subagent else "",
                speed=line.tier,
            )
        )
    return out
