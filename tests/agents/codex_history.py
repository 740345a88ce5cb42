"""The Codex history the tests count: every documented quirk in one home (see codex_gen)."""

from __future__ import annotations

import json
import random
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from tests.agents.codex_gen import SENTINEL
from tests.agents.codex_gen import Rollout
from tests.agents.codex_gen import Truth
from tests.agents.codex_gen import meta
from tests.agents.codex_gen import reemit
from tests.agents.codex_gen import replay
from tests.agents.codex_gen import respond
from tests.agents.codex_gen import turn


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
