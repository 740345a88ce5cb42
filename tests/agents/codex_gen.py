"""Synthetic Codex CLI homes with every documented quirk, and the truth they were built from.

`codex_history.build(home)` writes `sessions/` and `archived_sessions/` rollouts with these
builders and returns the `Truth`: each real model response once (thread, session, time, model,
tier, tokens as tokenbook counts them).
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
from datetime import datetime
from datetime import timedelta
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
