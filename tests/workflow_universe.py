"""The logs two machines write over time, from the documented shapes of real transcripts, and an
independent count of what one clean sync of everything seen must give.

The reference count below is written for the tests from claude-code-logs.md; it shares no code
with tokenbook: one response per (message.id, requestId) across all files; its usage from the
line with the largest output (the final streamed line: speed and a fallback model arrive there);
its time and session from its earliest line, an `agent_progress` copy taking the outer line's
session and never winning over the original; `<synthetic>` counts nothing; a sidechain replay of
a main-thread message under a new requestId is dropped; a subagent is its meta file's type; a
response belongs to the bet of its session's main branch, once a main-thread line was read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tests.helpers import assistant

S1, S2, S3, S4 = (f"7a0c5e1d-0000-4000-8000-00000000000{i}" for i in range(1, 5))
WEBAPP, API, OTHER = "/home/dev/src/webapp", "/home/dev/src/api", "/home/dev/src/other"
AUTH, BILLING = "feature/auth-login", "fix/billing-rounding"
BETS = {S1: "auth-login", S2: "billing-fix", S3: "unassigned", S4: "auth-login"}
# Where a session's subagents go while no main-thread line of it was read: their own project and
# branch decide (a worktree agent's branch is no branch).
OWN = {S1: "auth-login", S2: "unassigned", S3: "unassigned", S4: "auth-login"}
TREE = f"{API}/.claude/worktrees/agent-bbbb2222"
METAS = {"aaaa1111": "Explore", "bbbb2222": "general-purpose"}
WARMUPS = {"0a0b0c0d"}  # sidechains whose first prompt is `Warmup`: their agent is `warmup`


def _a(mid: str, rid: str | None, ts: str, **kw: Any) -> str:
    kw.setdefault("cache_write", 300)
    kw.setdefault("cache_read", 2000)
    line = assistant(mid, rid, ts=f"2026-11-{ts}Z", **kw)
    if kw.get("output", 100) < 10:
        line["message"]["stop_reason"] = None  # a streaming placeholder
    return json.dumps(line)


def _copy(line: str, agent_id: str, ts: str) -> str:
    """An `agent_progress` line in the parent's file repeating a subagent line."""
    nested = {
        k: v for k, v in json.loads(line).items() if k not in ("sessionId", "cwd", "gitBranch")
    }
    outer = {
        "parentUuid": None,
        "isSidechain": False,
        "type": "progress",
        "sessionId": S1,
        "cwd": WEBAPP,
        "gitBranch": AUTH,
        "timestamp": f"2026-11-{ts}Z",
        "data": {"type": "agent_progress", "agentId": agent_id, "message": nested},
    }
    return json.dumps(outer)


def _synthetic(ts: str) -> str:
    line = json.loads(_a("0b1c2d3e-synthetic", None, ts, session=S1, output=0))
    line["message"]["model"] = "<synthetic>"
    line["isApiErrorMessage"] = True
    return json.dumps(line)


SUB1 = dict(session=S1, sidechain=True, agent_id="aaaa1111")
SUB1_LINES = [
    _a("msg_s1", "req_s1", "03T10:01:00.000", output=5, **SUB1),
    _a("msg_s1", "req_s1", "03T10:01:00.200", output=70, **SUB1),
    _a("msg_s2", "req_s2", "03T10:02:00.000", output=33, **SUB1),
]
MAIN1 = dict(session=S1, cwd=WEBAPP, branch=AUTH)
FILES: dict[str, list[str]] = {
    f"-home-dev-src-webapp/{S1}.jsonl": [
        json.dumps({"type": "user", "sessionId": S1, "timestamp": "2026-11-03T09:59:00.000Z",
                    "message": {"role": "user", "content": "PRIVATE prompt"}}),
        _a("msg_a", "req_a", "03T10:00:00.000", output=2, inference_geo="not_available", **MAIN1),
        _a("msg_a", "req_a", "03T10:00:00.300", output=150, inference_geo="not_available", **MAIN1),
        _a("msg_b", "req_b", "03T10:00:30.000", output=1, **MAIN1),
        _copy(SUB1_LINES[1], "aaaa1111", "03T10:01:00.500"),
        _a("msg_b", "req_b", "03T10:00:30.400", output=90, speed="fast", **MAIN1),
        "{not json",
        _a("msg_c", None, "03T10:03:00.000", output=40, **MAIN1),
        _a("msg_c", None, "03T10:03:00.100", output=60, model="claude-sonnet-4-5-20250929",
           **MAIN1),
        _synthetic("03T10:04:00.000"),
        _a("msg_d", "req_d", "03T23:59:59.990", output=3, **MAIN1),
        _a("msg_d", "req_d", "04T00:00:00.100", output=80, **MAIN1),
    ],
    f"-home-dev-src-webapp/{S1}/subagents/agent-aaaa1111.jsonl": SUB1_LINES,
    f"-home-dev-src-api/{S2}.jsonl": [
        _a("msg_e", "req_e", "03T11:00:00.000", output=20, session=S2, cwd=API, branch=BILLING),
        _a("msg_f", "req_f", "03T11:01:00.000", output=21, session=S2, cwd=TREE,
           branch="worktree-agent-bbbb2222"),
        _a("msg_g", "req_g", "03T11:02:00.000", output=22, session=S2, cwd=API, branch=BILLING),
    ],
    f"-home-dev-src-api/{S2}/subagents/agent-bbbb2222.jsonl": [
        _a("msg_h", "req_h", "03T11:01:30.000", output=44, session=S2, cwd=TREE,
           branch="worktree-agent-bbbb2222", sidechain=True, agent_id="bbbb2222"),
        _a("msg_i", "req_i", "03T11:01:40.000", output=55, session=S2, cwd=TREE,
           branch="worktree-agent-bbbb2222", sidechain=True, agent_id="bbbb2222"),
    ],
    f"-home-dev-src-other/{S3}.jsonl": [
        _a("msg_j", "req_j", "03T12:00:00.000", output=30, session=S3, cwd=OTHER, branch="main"),
        _a("msg_k", "req_k", "03T12:05:00.000", output=31, session=S3, cwd=OTHER, branch="main"),
    ],
    f"-home-dev-src-other/{S3}/subagents/agent-cccc3333.jsonl": [  # a /btw replay of msg_j
        _a("msg_j", "req_j_btw", "03T12:00:30.000", output=30, session=S3, cwd=OTHER,
           branch="main", sidechain=True, agent_id="cccc3333"),
    ],
    "-home-dev-src-other/agent-0a0b0c0d.jsonl": [  # a 2.0.x Warmup sidechain (legacy layout)
        json.dumps({"type": "user", "isSidechain": True, "sessionId": S3, "agentId": "0a0b0c0d",
                    "timestamp": "2026-11-03T11:59:00.000Z",
                    "message": {"role": "user", "content": "Warmup"}}),
        _a("msg_warm", "req_warm", "03T11:59:01.000", output=146, input=1400, session=S3,
           cwd=OTHER, branch="main", sidechain=True, agent_id="0a0b0c0d"),
    ],
    f"-home-dev-src-webapp/{S4}.jsonl": [  # a resumed session: a copy of S1's line first
        _a("msg_a", "req_a", "03T10:00:00.300", output=150, inference_geo="not_available", **MAIN1),
        _a("msg_l", "req_l", "03T15:00:00.000", output=12, session=S4, cwd=WEBAPP, branch=AUTH),
    ],
}  # fmt: skip
NAMES = sorted(FILES)


def meta_of(name: str) -> tuple[str, str] | None:
    """(meta file name, agent type) written beside a subagent log."""
    stem = name.rsplit("/", 1)[-1]
    agent = stem.removeprefix("agent-").removesuffix(".jsonl")
    if "/subagents/" not in name or agent not in METAS:
        return None
    return name.replace(".jsonl", ".meta.json"), METAS[agent]


@dataclass
class View:
    output: int
    tokens: tuple[int, int, int, int]
    model: str
    copy: bool
    at: str
    session: str
    main: bool
    agent_id: str


def _views(seen: dict[str, int]) -> dict[tuple[str, str], list[View]]:
    views: dict[tuple[str, str], list[View]] = defaultdict(list)
    for name, n in seen.items():
        for raw in FILES[name][:n]:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            line, copy, outer = obj, False, obj
            if obj.get("type") == "progress":
                line, copy = obj["data"]["message"], True
            if line.get("type") != "assistant" or line["message"]["model"] == "<synthetic>":
                continue
            m, u = line["message"], line["message"]["usage"]
            views[(m["id"], line.get("requestId", ""))].append(
                View(
                    output=u["output_tokens"],
                    tokens=(u["input_tokens"], u["output_tokens"],
                            u["cache_creation_input_tokens"], u["cache_read_input_tokens"]),
                    model=m["model"],
                    copy=copy,
                    at=line["timestamp"],
                    session=outer["sessionId"],
                    main=not line.get("isSidechain", False),
                    agent_id=line.get("agentId") or obj.get("data", {}).get("agentId", ""),
                )
            )  # fmt: skip
    return views


Totals = dict[tuple[str, str, str, str, str], tuple[int, int, int, int]]


def reference(seen: dict[str, int], typed: set[str]) -> Totals:
    """Token totals per (day, session, model, agent, bet) of one clean sync of `seen` (lines
    read per file); `typed`: agent ids whose meta file some sync saw."""
    views = _views(seen)
    main_messages = {mid for (mid, _), vs in views.items() if any(v.main for v in vs)}
    with_main = {v.session for vs in views.values() for v in vs if v.main}
    out: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (mid, _), vs in views.items():
        main = any(v.main for v in vs)
        if not main and mid in main_messages:
            continue  # a replay of a main-thread message
        usage = max(vs, key=lambda v: v.output)
        env = min(vs, key=lambda v: (v.copy, v.at))
        agent_id = next(v.agent_id for v in vs if v.agent_id) if not main else ""
        agent = "main" if main else (METAS[agent_id] if agent_id in typed else "subagent")
        agent = "warmup" if agent_id in WARMUPS else agent
        bet = (BETS if env.session in with_main else OWN)[env.session]
        key = (env.at[:10], env.session, usage.model, agent, bet)
        for i, n in enumerate(usage.tokens):
            out[key][i] += n
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


def exported(rows: list[dict[str, Any]]) -> Totals:
    """The same totals from `tokenbook export --json` rows."""
    out: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        key = (r["date"], r["session"], r["model"], r["agent"], r["bet"])
        for i, n in enumerate(
            (r["input"], r["output"], r["cache_write_5m"] + r["cache_write_1h"], r["cache_read"])
        ):
            out[key][i] += n
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}
