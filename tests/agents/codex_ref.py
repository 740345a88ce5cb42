"""An independent reference count of Codex rollouts, written for the tests from the documented
rules (other-agents.md, Codex §3-§4) without using tokenbook's reader; and the naive count.

Returns a flat list of (session, day, model, speed, input, cache_read, output) per response.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, int, int, int]
FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def _when(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e10 else value, UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def _vec(u: dict[str, Any] | None) -> tuple[int, ...] | None:
    if not isinstance(u, dict):
        return None
    if not all(isinstance(u.get(k, 0), int) for k in (*FIELDS, "total_tokens")):
        raise ValueError("bad usage")
    return tuple(u.get(k, 0) for k in (*FIELDS, "total_tokens"))


def _thread(path: Path) -> dict[str, Any]:
    recs = _records(path)
    metas = [r["payload"] for r in recs if r.get("type") == "session_meta"]
    me = metas[0] if metas else {}
    src = me.get("source")
    sub = (src.get("subagent") or src.get("sub_agent")) if isinstance(src, dict) else None
    spawn = sub.get("thread_spawn", {}) if isinstance(sub, dict) else {}
    events, model, tier_turn, tier_thread = [], "", "", ""
    for r in recs:
        p = r.get("payload") or {}
        if r.get("type") == "turn_context":
            model = p.get("model") or model
            tier_turn = p.get("service_tier") or ""
        elif p.get("type") == "thread_settings_applied":
            tier_thread = (p.get("thread_settings") or {}).get("service_tier") or ""
        elif p.get("type") == "token_count" and isinstance(p.get("info"), dict):
            info = p["info"]
            try:
                total, last = (
                    _vec(info.get("total_token_usage")),
                    _vec(info.get("last_token_usage")),
                )
            except ValueError:
                continue
            tier = tier_turn or tier_thread or "default"
            speed = {"default": "standard", "priority": "fast"}.get(tier, tier)
            events.append((_when(r["timestamp"]), total, last, info.get("model") or model, speed))
    return {
        "id": me.get("id") or path.stem[-36:],
        "created": _when(me["timestamp"]) if "timestamp" in me else None,
        "parent": spawn.get("parent_thread_id") or me.get("forked_from_id") or "",
        "session": spawn.get("parent_thread_id") or me.get("id"),
        "archived": "archived_sessions" in path.parts,
        "events": events,
    }


def _own_start(t: dict[str, Any], parent: dict[str, Any] | None) -> int:
    """Index of the first event that is not a copy of the parent's history."""
    evs, start = t["events"], 0
    if not t["parent"]:
        return 0
    inherited = {e[1] for e in parent["events"]} if parent else set()
    while start < len(evs) and evs[start][1] in inherited:
        start += 1
    if start == 0:
        sec = t["created"].replace(microsecond=0)
        while start < len(evs) and evs[start][0].replace(microsecond=0) <= sec:
            start += 1
    return start


def _used(total: tuple[int, ...], last: Any, prev: Any) -> tuple[int, ...]:
    if last is not None:
        return tuple(last)
    if prev is not None and total[4] >= prev[4]:
        return tuple(x - y for x, y in zip(total, prev, strict=True))
    return total


def reference(home: Path, fallback_model: str) -> list[Row]:
    threads: dict[str, dict[str, Any]] = {}
    files = sorted(home.rglob("rollout-*.jsonl"))
    for f in sorted(files, key=lambda f: "archived_sessions" not in f.parts):
        t = _thread(f)
        threads[t["id"]] = t  # active files come last, so they win
    rows: list[Row] = []
    for t in threads.values():
        evs = t["events"]
        start = _own_start(t, threads.get(t["parent"]))
        seen = {e[1] for e in evs[:start]}
        prev = evs[start - 1][1] if start else None
        for at, total, last, model, speed in evs[start:]:
            if total in seen:
                continue
            seen.add(total)
            inp, cached, out, reasoning, tot = _used(total, last, prev)
            prev = total
            if tot == inp + out + reasoning:
                out += reasoning
            model = "gpt-5.5" if model == "codex-auto-review" else model or fallback_model
            day = at.date().isoformat()
            rows.append((t["session"], day, model, speed, inp - cached, cached, out))
    return rows


def naive(home: Path) -> tuple[int, int, int]:
    """Sum every `last_token_usage` in every file: what the public parsers once did."""
    inp = cached = out = 0
    for f in sorted(home.rglob("rollout-*.jsonl")):
        for r in _records(f):
            p = r.get("payload") or {}
            info = p.get("info") if p.get("type") == "token_count" else None
            last = info.get("last_token_usage") if isinstance(info, dict) else None
            if isinstance(last, dict):
                inp += last["input_tokens"] - last["cached_input_tokens"]
                cached += last["cached_input_tokens"]
                out += last["output_tokens"]
    return inp, cached, out
