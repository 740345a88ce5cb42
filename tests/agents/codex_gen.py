"""Synthetic Codex CLI homes with every documented quirk, and the truth they were built from.

`build(home)` writes `sessions/` and `archived_sessions/` rollouts and returns the `Truth`: each
real model response once (thread, session, time, model, tier, tokens as tokenbook counts them).
The quirks (docs: other-agents.md, Codex §4): re-emitted `token_count` snapshots, rate-limit-only
events (`info: null`), a stale out-of-order snapshot, totals without `last_token_usage`, a reset
after compaction, a resume appended without a new `session_meta`, a fork and two sub-agents that
replay their parent's history (one whose parent file is missing), an archived copy of an active
thread, a thread only in the archive, epoch-millisecond timestamps, reasoning kept out of
`output_tokens`, `codex-auto-review`, the config.toml model fallback, service tiers from
`thread_settings_applied` and `turn_context`, and malformed lines. Every text field holds a
sentinel (`SENTINEL` + field name) that must never reach a Response.
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

SENTINEL = "SENTINEL-CODEX-"


@dataclass(frozen=True)
class Real:
    """One billed response as tokenbook must count it."""

    thread: str
    session: str
    at: datetime
    model: str
    speed: str
    input: int  # not cached
    cache_read: int
    output: int  # reasoning included
    main: bool = True


@dataclass
class Truth:
    responses: list[Real] = field(default_factory=list)
    malformed: int = 0  # lines the reader must report as skipped


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@dataclass
class Rollout:
    """One thread's rollout file being written, with its running total."""

    id: str
    cwd: str
    branch: str
    clock: datetime
    lines: list[str] = field(default_factory=list)
    total: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    snapshots: list[str] = field(default_factory=list)  # every token_count line, for copying
    model: str = "gpt-5.2-codex"

    def add(self, kind: str, payload: dict[str, Any], at: datetime | None = None) -> None:
        stamp: Any = iso(at or self.clock)
        self.lines.append(json.dumps({"timestamp": stamp, "type": kind, "payload": payload}))

    def tick(self, seconds: float = 7.0) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock


def usage(values: list[int]) -> dict[str, int]:
    names = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
    out = dict(zip(names, values[:4], strict=True))
    out["total_tokens"] = values[4]
    return out


def meta(r: Rollout, **extra: Any) -> None:
    payload: dict[str, Any] = {
        "id": r.id,
        "timestamp": iso(r.clock),
        "cwd": r.cwd,
        "originator": "codex_cli_rs",
        "cli_version": "0.150.0",
        "source": "cli",
        "model_provider": "openai",
        "git": {"commit_hash": "abc123", "branch": r.branch, "repository_url": "git@x:o/r.git"},
        "base_instructions": {"text": SENTINEL + "base_instructions"},
    }
    payload.update(extra)
    r.add("session_meta", payload)


def turn(r: Rollout, model: str | None = None, **extra: Any) -> None:
    r.model = model or r.model
    r.tick(1)
    payload = {
        "cwd": r.cwd,
        "model": r.model,
        "effort": "medium",
        "summary": "auto",
        "user_instructions": SENTINEL + "user_instructions",
        "developer_instructions": SENTINEL + "developer_instructions",
    }
    r.add("turn_context", payload | extra)
    r.add("event_msg", {"type": "user_message", "message": SENTINEL + "user_message"})
    r.add(
        "response_item",
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": SENTINEL}]},
    )


def chatter(r: Rollout) -> None:
    """What a model response writes besides usage: all of it text."""
    r.add(
        "response_item",
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": SENTINEL + "summary"}]},
    )
    r.add(
        "response_item",
        {"type": "function_call", "name": "shell", "arguments": json.dumps([SENTINEL + "args"])},
    )
    r.add(
        "response_item",
        {"type": "function_call_output", "call_id": "c1", "output": SENTINEL + "tool_output"},
    )
    r.add("event_msg", {"type": "agent_message", "message": SENTINEL + "agent_message"})


def respond(
    r: Rollout,
    truth: Truth,
    rng: random.Random,
    *,
    session: str | None = None,
    main: bool = True,
    speed: str = "standard",
    with_last: bool = True,
    reasoning_apart: bool = False,
    model: str | None = None,
    stamp: Any = None,
    info_model: str | None = None,
) -> None:
    """One real response: chatter, then a token_count that advances the total."""
    inp = rng.randint(2_000, 90_000)
    cached = rng.randint(0, inp)
    reasoning = rng.randint(0, 800)
    out = rng.randint(reasoning + 1, reasoning + 3_000)
    logged_out = out - reasoning if reasoning_apart else out
    last = [
        inp,
        cached,
        logged_out,
        reasoning,
        inp + logged_out + (reasoning if reasoning_apart else 0),
    ]
    r.total = [a + b for a, b in zip(r.total, last, strict=True)]
    at = r.tick()
    chatter(r)
    info: dict[str, Any] = {"total_token_usage": usage(r.total), "model_context_window": 272000}
    if with_last:
        info["last_token_usage"] = usage(last)
    if info_model:
        info["model"] = info_model
    line = {
        "timestamp": stamp if stamp is not None else iso(at),
        "type": "event_msg",
        "payload": {"type": "token_count", "info": info, "rate_limits": {"primary": None}},
    }
    r.lines.append(json.dumps(line))
    r.snapshots.append(json.dumps(line["payload"]))
    truth.responses.append(
        Real(
            thread=r.id,
            session=session or r.id,
            at=at.replace(microsecond=at.microsecond // 1000 * 1000),
            model=model or info_model or r.model,
            speed=speed,
            input=inp - cached,
            cache_read=cached,
            output=out,
            main=main,
        )
    )


def settings(r: Rollout, service_tier: str | None) -> None:
    payload = {"type": "thread_settings_applied", "thread_settings": {"service_tier": service_tier}}
    r.add("event_msg", payload)


def reemit(r: Rollout, with_rate_limit_only: bool = True) -> None:
    """A UI refresh: the same totals again with a fresh time (and a rate-limit-only event)."""
    r.tick(2)
    last = json.loads(r.snapshots[-1])
    r.add("event_msg", last)
    r.snapshots.append(json.dumps(last))
    if with_rate_limit_only:
        r.add("event_msg", {"type": "token_count", "info": None, "rate_limits": {}})


def replay(child: Rollout, parent: Rollout, upto: int) -> None:
    """A fork/sub-agent's copy of its parent's first `upto` snapshots, re-stamped now."""
    for snap in parent.snapshots[:upto]:
        child.lines.append(
            json.dumps(
                {"timestamp": iso(child.clock), "type": "event_msg", "payload": json.loads(snap)}
            )
        )
        child.lines.append(
            json.dumps(
                {
                    "timestamp": iso(child.clock),
                    "type": "response_item",
                    "payload": {"type": "message", "role": "assistant", "content": [SENTINEL]},
                }
            )
        )
    child.total = list(json.loads(parent.snapshots[upto - 1])["info"]["total_token_usage"].values())


def rollout_path(home: Path, r: Rollout, created: datetime, archived: bool = False) -> Path:
    name = f"rollout-{created:%Y-%m-%dT%H-%M-%S}-{r.id}.jsonl"
    if archived:
        return home / "archived_sessions" / name
    return home / "sessions" / f"{created:%Y}" / f"{created:%m}" / f"{created:%d}" / name


def write(path: Path, lines: list[str], tail: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(ln + "\n" for ln in lines) + tail, encoding="utf-8")


def tid(n: int) -> str:
    return f"0197a{n:03d}-0000-7000-8000-{n:012d}"


START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def build(home: Path, seed: int = 7) -> Truth:
    """Write a Codex home full of quirks below `home`; return what must be counted."""
    rng = random.Random(seed)
    truth = Truth()
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "gpt-5.1-codex"\n[model_providers.x]\nenv_key = "{SENTINEL}config"\n',
        encoding="utf-8",
    )
    a = _main_thread(home, rng, truth)
    _totals_only(home, rng, truth)
    _fork_and_subagents(home, rng, truth, a)
    _archive_and_fallbacks(home, rng, truth)
    return truth


def _main_thread(home: Path, rng: random.Random, truth: Truth) -> Rollout:
    a = Rollout(tid(1), "/home/dev/src/webapp", "feature/auth-login", START)
    created = a.clock
    meta(a)
    turn(a)
    for _ in range(3):
        respond(a, truth, rng)
        reemit(a)
    a.add(
        "event_msg",
        {"type": "thread_settings_applied", "thread_settings": {"service_tier": "fast"}},
    )
    respond(a, truth, rng, speed="fast")
    reemit(a, with_rate_limit_only=False)
    turn(a)  # no service_tier: the thread's fast setting still holds
    respond(a, truth, rng, speed="fast")
    turn(a, service_tier="flex")
    respond(a, truth, rng, speed="flex")
    a.add(
        "event_msg", {"type": "thread_settings_applied", "thread_settings": {"service_tier": None}}
    )
    turn(a, model="gpt-5.4")
    respond(a, truth, rng)
    respond(a, truth, rng, info_model="gpt-5.1-codex-max")
    a.add("event_msg", json.loads(a.snapshots[-2]))  # a stale, out-of-order snapshot
    respond(a, truth, rng, reasoning_apart=True)
    ms = a.clock + timedelta(seconds=7)
    respond(a, truth, rng, stamp=int(ms.timestamp() * 1000))
    a.add("compacted", {"message": SENTINEL + "compacted", "replacement_history": [SENTINEL]})
    a.total = [0, 0, 0, 0, 0]  # the running total restarts after compaction
    respond(a, truth, rng)
    reemit(a)
    write(rollout_path(home, a, created), a.lines)
    # The archive holds an older copy of the same thread (archived, then resumed).
    write(rollout_path(home, a, created, archived=True), a.lines[: len(a.lines) // 2])
    # Resumed the next day: appended to the same file, no new session_meta.
    a.clock = START + timedelta(days=1, hours=2)
    turn(a, model="gpt-5.2-codex")
    for _ in range(2):
        respond(a, truth, rng)
        reemit(a)
    write(rollout_path(home, a, created), a.lines)
    return a


def _totals_only(home: Path, rng: random.Random, truth: Truth) -> None:
    b = Rollout(tid(2), "/home/dev/src/api", "main", START + timedelta(hours=3))
    created = b.clock
    meta(b)
    turn(b, model="gpt-5.3-codex")
    for _ in range(3):
        respond(b, truth, rng, with_last=False)
        reemit(b)
    b.lines.append('{"timestamp": "2026-11-03T12:30:00.000Z", "type": "event_msg", "payl')
    bad = {"type": "token_count", "info": {"total_token_usage": {"input_tokens": "many"}}}
    b.add("event_msg", bad)
    truth.malformed += 2
    b.total = [0, 0, 0, 0, 0]  # resumed with a fresh running total
    respond(b, truth, rng, with_last=False)
    respond(b, truth, rng, with_last=False)
    write(rollout_path(home, b, created), b.lines)


def _fork_and_subagents(home: Path, rng: random.Random, truth: Truth, a: Rollout) -> None:
    # A user fork of A after its 4th snapshot: a thread of its own.
    c = Rollout(tid(3), a.cwd, a.branch, START + timedelta(hours=5))
    created = c.clock
    meta(c, forked_from_id=a.id)
    # Newer forks repeat the parent's session_meta before the copied history.
    parent_meta = {"id": a.id, "cwd": a.cwd, "base_instructions": {"text": SENTINEL + "parent"}}
    c.add("session_meta", parent_meta)
    replay(c, a, 4)
    turn(c)
    for _ in range(3):
        respond(c, truth, rng)
        reemit(c)
    write(rollout_path(home, c, created), c.lines)
    # A sub-agent spawned by A: its usage belongs to A's session.
    d = Rollout(tid(4), a.cwd, a.branch, START + timedelta(hours=6))
    created = d.clock
    spawn = {
        "parent_thread_id": a.id,
        "depth": 1,
        "agent_nickname": "Hypatia",
        "agent_role": "worker",
    }
    meta(d, source={"subagent": {"thread_spawn": spawn}}, agent_nickname="Hypatia")
    replay(d, a, 6)
    turn(d, model="gpt-5.4-mini")
    for _ in range(2):
        respond(d, truth, rng, session=a.id, main=False)
        reemit(d)
    write(rollout_path(home, d, created), d.lines)
    # A sub-agent whose parent's rollout is gone: its replay is stamped in its creation second.
    ghost = Rollout(tid(99), "/elsewhere", "", START - timedelta(days=3))
    for _ in range(3):
        respond(ghost, Truth(), rng)
    e = Rollout(tid(5), "/home/dev/src/api", "main", START + timedelta(hours=7, seconds=0.25))
    created = e.clock
    meta(e, source={"sub_agent": {"thread_spawn": {"parent_thread_id": ghost.id}}})
    replay(e, ghost, 3)
    turn(e)
    respond(e, truth, rng, session=ghost.id, main=False)
    write(rollout_path(home, e, created), e.lines)


def _archive_and_fallbacks(home: Path, rng: random.Random, truth: Truth) -> None:
    # Only in the archive; a guardian review with the codex-auto-review pseudo-model.
    f = Rollout(tid(6), "/home/dev/src/webapp", "fix/typo", START + timedelta(hours=8))
    created = f.clock
    meta(f, source={"subagent": {"other": "guardian"}})
    turn(f, model="codex-auto-review")
    respond(f, truth, rng, main=False, model="gpt-5.5")
    write(rollout_path(home, f, created, archived=True), f.lines)
    # No turn_context names a model: config.toml's model; the last line is still being written.
    g = Rollout(tid(7), "/home/dev/src/cli", "", START + timedelta(hours=9))
    created = g.clock
    meta(g)
    g.add("event_msg", {"type": "user_message", "message": SENTINEL + "user_message"})
    respond(g, truth, rng, model="gpt-5.1-codex")
    reemit(g)
    truth.malformed += 1
    write(rollout_path(home, g, created), g.lines, tail='{"timestamp": "2026-11-03T18:00:09')
