"""Claude Code transcripts (`<config>/projects/**/*.jsonl`) → one record per API response.

The counting rules are in `claude_reader` (the checked reader) and `claude_records` (the
compact records the dedup joins); `claude_scan` reads one file in blocks, `claude_fast` decodes
the usual line without `json`, and `claude_read` shares big reads over two processes. This
module finds the files and joins what they hold across files (`collect`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import cast

from tokenbook.events import LimitEvent
from tokenbook.events import Skipped
from tokenbook.events import UsageEvent
from tokenbook.sources import claude_read
from tokenbook.sources.claude_read import Job as Job
from tokenbook.sources.claude_read import Progress as Progress
from tokenbook.sources.claude_reader import EARLIEST as EARLIEST
from tokenbook.sources.claude_reader import LATEST as LATEST
from tokenbook.sources.claude_reader import NAME as NAME
from tokenbook.sources.claude_reader import BadLine as BadLine
from tokenbook.sources.claude_reader import Candidate as Candidate
from tokenbook.sources.claude_reader import line_candidate as line_candidate
from tokenbook.sources.claude_records import Envelope
from tokenbook.sources.claude_records import Record as Record
from tokenbook.sources.claude_records import event
from tokenbook.sources.claude_records import fast_record as fast_record
from tokenbook.sources.claude_records import join
from tokenbook.sources.claude_records import message_id
from tokenbook.sources.claude_records import record as record
from tokenbook.sources.claude_records import to_rec as to_rec
from tokenbook.syncindex import walk_logs


def default_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """`CLAUDE_CONFIG_DIR` (a comma-separated list), else ~/.config/claude and ~/.claude."""
    listed = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if listed:
        return [Path(p.strip()).expanduser() for p in listed.split(",") if p.strip()]
    return [home / ".config" / "claude", home / ".claude"]


def discover(dirs: Iterable[Path]) -> list[Path]:
    """Every `projects/**/*.jsonl` below the given config dirs, subagent files included."""
    return walk(dirs)[0]


def walk(
    dirs: Iterable[Path], problems: list[Skipped] | None = None
) -> tuple[list[Path], list[Path]]:
    """One pass over `projects/` (symlinked folders not followed): the log files, and the
    `agent-*.meta.json` files in folders that hold logs, both sorted. Folders that cannot be
    listed are added to `problems`."""
    logs, metas, unreadable = walk_logs([str(d) for d in dirs])
    if problems is not None:
        problems += [Skipped(path, 0, unlisted(why)) for path, why in unreadable]
    return [Path(p) for p in logs], [Path(p) for p in metas]


def unlisted(why: str) -> str:
    return f"cannot list this folder ({why}); its logs are not counted"


def agent_types(files: Iterable[Path], metas: Iterable[Path] | None = None) -> dict[str, str]:
    """agentId → agentType from the `agent-<id>.meta.json` files beside subagent logs (`metas`,
    else found in the folders of `files`)."""
    if metas is None:
        metas = [
            m
            for folder in sorted({p.parent for p in files})
            for m in sorted(folder.glob("agent-*.meta.json"))
        ]
    types: dict[str, str] = {}
    for meta in metas:
        try:
            kind = json.loads(meta.read_bytes()).get("agentType")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(kind, str) and kind.strip():
            types[meta.name[len("agent-") : -len(".meta.json")]] = kind.strip()
    return types


# ----- global dedup


class Deduper:
    """Global dedup state: one record per response key, across every file read."""

    def __init__(self, responses: dict[str, Record] | None = None) -> None:
        self.responses: dict[str, Record] = responses if responses is not None else {}
        self.limits: dict[str, LimitEvent] = {}
        self._strings: dict[str, str] = {}

    def add(self, c: Candidate) -> None:
        self.join({c.key: record(c)})

    def join(self, found: Mapping[str, Record]) -> list[str]:
        """Merge one file's records; return the keys whose record changed."""
        changed = []
        responses = self.responses
        for key, rec in found.items():
            known = responses.get(key)
            new = self._shared(rec) if known is None else join(known, rec)
            if new != known:
                responses[key] = new
                changed.append(key)
        return changed

    def _shared(self, r: Record) -> Record:
        """The record with its texts (model, session, cwd, ...) shared with earlier records:
        records arrive unpickled from worker processes, each with its own copies."""
        u, env = r[0], r[1]
        s = self._strings
        usage = (
            u[0],
            u[1],
            s.setdefault(u[2], u[2]),
            u[3],
            s.setdefault(u[4], u[4]),
            s.setdefault(u[5], u[5]),
            u[6],
            u[7],
        )
        envelope = (env[0], env[1], env[2], *(s.setdefault(t, t) for t in env[3:]))
        return (usage, cast(Envelope, envelope), r[2])

    def join_limits(self, found: Mapping[str, LimitEvent]) -> bool:
        changed = False
        for key, limit in found.items():
            known = self.limits.get(key)
            if known is None or limit < known:
                self.limits[key] = limit
                changed = True
        return changed

    def main_ids(self) -> set[str]:
        return {message_id(k) for k, r in self.responses.items() if r[2]}

    def events(self, agents: Mapping[str, str]) -> list[UsageEvent]:
        """Every response that counts: on the main thread, or a sidechain one whose message
        was not also answered on the main thread (a replay under a new requestId)."""
        main = self.main_ids()
        events = [
            event(key, r, agents)
            for key, r in self.responses.items()
            if r[2] or message_id(key) not in main
        ]
        events.sort(key=lambda e: (e.at, e.key))
        return events

    def limit_events(self) -> list[LimitEvent]:
        return sorted(set(self.limits.values()))


@dataclass(slots=True)
class Collected:
    events: list[UsageEvent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    limits: list[LimitEvent] = field(default_factory=list)


def collect(dirs: Iterable[Path], progress: Progress | None = None) -> Collected:
    """Read every log file under `dirs` and return the deduplicated responses."""
    files = discover(dirs)
    jobs = [(str(p), 0, 0) for p in files]
    found = claude_read.read_jobs(jobs, {str(p): _size(p) for p in files}, progress)
    dedup = Deduper()
    out = Collected(files=len(files))
    for s in found.files:
        out.bytes += s.size
        out.skipped += [Skipped(s.path, n, why) for n, why in s.skipped + s.tail]
    dedup.join(found.responses)
    dedup.join_limits(found.limits)
    out.events = dedup.events(agent_types(files))
    out.limits = dedup.limit_events()
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
