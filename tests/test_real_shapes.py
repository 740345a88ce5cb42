"""Every shape of claude-code-logs.md §9 (seen in real transcripts), written from its documented
form, through the real CLI: what each counts, where it goes, and what it costs."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log

PARENT = "5e1f0a3c-0000-4000-8000-00000000aaaa"
AUTH = "feature/auth-login"


def progress_copy(nested: dict[str, Any], *, agent_id: str, ts: str) -> dict[str, Any]:
    """An `agent_progress` line (2.1.2-2.1.8x, parent file): session, cwd and branch only on the
    outer line; the nested wrapper has none of them."""
    inner = {k: v for k, v in nested.items() if k not in ("sessionId", "cwd", "gitBranch")}
    return {
        "parentUuid": None,
        "isSidechain": False,
        "type": "progress",
        "sessionId": PARENT,
        "cwd": "/home/dev/src/webapp",
        "gitBranch": AUTH,
        "timestamp": ts,
        "uuid": f"progress-{ts}",
        "data": {"type": "agent_progress", "agentId": agent_id, "message": inner},
    }


def _rows(capsys: Any, vault: Path, kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = report(capsys, vault, kind)["rows"]
    return rows


def _bets(capsys: Any, vault: Path) -> dict[str, int]:
    return {r["bet"]: r["total_tokens"] for r in _rows(capsys, vault, "bet") if r["total_tokens"]}


def _agents(capsys: Any, vault: Path) -> set[str]:
    code, out, err = run(capsys, "export", "--json", "--vault", vault)
    assert code == 0, err
    return {r["agent"] for r in json.loads(out)["rows"]}


def test_inference_geo_not_available_is_list_price(capsys: Any, vault: Path, logs: Path) -> None:
    """`not_available` and `""` (2.1.4x+) are the standard price, never unpriced; only `us`
    carries a multiplier. Cost equals a per-request hand computation at list price."""
    lines = [
        assistant("msg_g1", "req_g1", input=1000, output=2000, cache_write=0, cache_read=0,
                  inference_geo="not_available", session=PARENT),
        assistant("msg_g2", "req_g2", input=3000, output=500, cache_write=0, cache_read=0,
                  inference_geo="", session=PARENT, ts="2026-11-03T10:05:00.000Z"),
        assistant("msg_g3", "req_g3", input=500, output=100, cache_write=0, cache_read=0,
                  inference_geo="global", session=PARENT, ts="2026-11-03T10:06:00.000Z"),
    ]  # fmt: skip
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", lines)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    [day] = _rows(capsys, vault, "daily")
    # claude-opus-4-5: $5 per million input tokens, $25 per million output (vault/pricing).
    hand = (Decimal(1000 + 3000 + 500) * 5 + Decimal(2000 + 500 + 100) * 25) / 1_000_000
    assert Decimal(str(day["cost_usd"])) == hand
    assert not day.get("unpriced")


def test_agent_progress_copy_takes_the_outer_envelope(capsys: Any, vault: Path, logs: Path) -> None:
    """A copy alone (its subagent file not read) counts under the parent session, in the bet
    the parent's branch claims; with the original also present it counts once."""
    sub = assistant("msg_s1", "req_s1", output=300, sidechain=True, agent_id="a1b2c3d",
                    session=PARENT, ts="2026-11-03T10:01:00.000Z")  # fmt: skip
    main = assistant("msg_m1", "req_m1", session=PARENT)
    copy = progress_copy(sub, agent_id="a1b2c3d", ts="2026-11-03T10:01:01.000Z")
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", [main, copy])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    sessions = {r["session"]: r["total_tokens"] for r in _rows(capsys, vault, "session")}
    assert set(sessions) == {PARENT}
    one = main["message"]["usage"]
    each = one["input_tokens"] + one["cache_creation_input_tokens"] + one["cache_read_input_tokens"]
    assert sessions[PARENT] == 2 * each + 100 + 300
    assert _bets(capsys, vault) == {"auth-login": sessions[PARENT]}
    # The subagent's own file arrives: the same response, counted once, still in auth-login.
    write_log(logs, f"-home-dev-src-webapp/{PARENT}/subagents/agent-a1b2c3d.jsonl", [sub])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert _bets(capsys, vault) == {"auth-login": sessions[PARENT]}


def test_worktree_subagent_belongs_to_its_parents_bet(capsys: Any, vault: Path, logs: Path) -> None:
    """2.1.9x isolated worktree agents: their cwd and branch (and a stretch of the parent's own
    lines) name the worktree; the usage is the parent session's work."""
    tree = "/home/dev/src/webapp/.claude/worktrees/agent-9f8e7d6c"
    lines = [
        assistant("msg_w1", "req_w1", session=PARENT),
        assistant("msg_w2", "req_w2", session=PARENT, cwd=tree, branch="worktree-agent-9f8e7d6c",
                  ts="2026-11-03T10:02:00.000Z"),
    ]  # fmt: skip
    agent = [
        assistant("msg_w3", "req_w3", session=PARENT, cwd=tree, branch="worktree-agent-9f8e7d6c",
                  sidechain=True, agent_id="9f8e7d6c1234567", ts="2026-11-03T10:03:00.000Z")
    ]  # fmt: skip
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", lines)
    write_log(logs, f"-home-dev-src-webapp/{PARENT}/subagents/agent-9f8e7d6c1234567.jsonl", agent)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    total = sum(r["total_tokens"] for r in _rows(capsys, vault, "session"))
    assert _bets(capsys, vault) == {"auth-login": total}
    projects = {r["project"] for r in _rows(capsys, vault, "project")}
    assert projects == {"/home/dev/src/webapp"}


def test_session_that_moves_branch_follows_it(capsys: Any, vault: Path, logs: Path) -> None:
    lines = [
        assistant("msg_b1", "req_b1", session=PARENT, branch=AUTH, output=11),
        assistant("msg_b2", "req_b2", session=PARENT, branch="fix/billing-rounding", output=22,
                  ts="2026-11-03T11:00:00.000Z"),
        assistant("msg_b3", "req_b3", session=PARENT, branch=AUTH, sidechain=True,
                  agent_id="ab12", output=33, ts="2026-11-03T11:01:00.000Z"),
    ]  # fmt: skip
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", lines)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    bets = _rows(capsys, vault, "bet")
    out = {r["bet"]: r["output_tokens"] for r in bets if r["total_tokens"]}
    # The subagent at 11:01 inherits the main thread's branch at that time (billing), not its own.
    assert out == {"auth-login": 11, "billing-fix": 22 + 33}


def test_subagent_type_survives_its_meta_file(capsys: Any, vault: Path, logs: Path) -> None:
    """The meta file may be written after the first sync and is deleted by log cleanup: the
    type is recorded when first seen and kept."""
    folder = f"-home-dev-src-webapp/{PARENT}/subagents"
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", [assistant("msg_t0", session=PARENT)])
    write_log(logs, f"{folder}/agent-aef063ba534d73153.jsonl",
              [assistant("msg_t1", "req_t1", session=PARENT, sidechain=True,
                         agent_id="aef063ba534d73153", ts="2026-11-03T10:04:00.000Z")])  # fmt: skip
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert _agents(capsys, vault) == {"main", "subagent"}
    meta = logs / "projects" / folder / "agent-aef063ba534d73153.meta.json"
    meta.write_text(json.dumps({"agentType": "Explore", "description": "find things"}))
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    kept = snapshot(vault)
    assert _agents(capsys, vault) == {"main", "Explore"}
    shutil.rmtree(logs / "projects")  # the 30-day cleanup: logs, subagents and meta files gone
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert snapshot(vault) == kept


def test_bets_written_after_the_first_sync_claim_unassigned(
    capsys: Any, vault: Path, logs: Path
) -> None:
    lines = [assistant("msg_u1", "req_u1", session=PARENT, branch="feature/search", output=77)]
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", lines)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert set(_bets(capsys, vault)) == {"unassigned"}
    (vault / "bets" / "search.md").write_text(
        '---\ncycle: "[[2026-11]]"\nappetite: 10%\nmatch:\n  - branch: "feature/search"\n---\n'
    )
    code, out, _ = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0
    assert "from unassigned to search" in out
    assert set(_bets(capsys, vault)) == {"search"}


def test_warmup_only_sessions_are_tokens_but_not_iterations(
    capsys: Any, vault: Path, logs: Path
) -> None:
    """2.0.x sends a `Warmup` prompt to a sidechain at session start (a legacy agent file that
    carries the parent's sessionId): real tokens, no work. Logged usage is an iteration only
    with `--iteration`."""
    warm = [f"0a0a0a0{i}-0000-4000-8000-000000000000" for i in range(3)]
    for i, session in enumerate(warm):
        write_log(logs, f"-home-dev-src-webapp/agent-{i:08x}.jsonl", [
            {"type": "user", "isSidechain": True, "sessionId": session, "agentId": f"{i:08x}",
             "timestamp": "2026-11-03T09:00:00.000Z",
             "message": {"role": "user", "content": "Warmup"}},
            assistant(f"msg_warm{i}", f"req_warm{i}", session=session, sidechain=True,
                      agent_id=f"{i:08x}", input=1400, output=146, cache_write=0, cache_read=0),
        ])  # fmt: skip
    write_log(logs, f"-home-dev-src-webapp/{PARENT}.jsonl", [assistant("msg_work", session=PARENT)])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    out = run(capsys, "status", "--json", "--vault", vault)[1]
    bets = {b["id"]: b for b in json.loads(out)["bets"]}
    assert bets["auth-login"]["iterations"] == 1
    assert _bets(capsys, vault)["auth-login"] > 3 * 1546  # the warmups' tokens still count
    log = (
        "log",
        "--vault",
        vault,
        "--bet",
        "auth-login",
        "--tokens",
        "1000",
        "--date",
        "2026-11-05",
    )
    assert run(capsys, *log)[0] == 0
    assert run(capsys, *log, "--note", "a scripted run", "--iteration")[0] == 0
    bets = {
        b["id"]: b for b in json.loads(run(capsys, "status", "--json", "--vault", vault)[1])["bets"]
    }
    assert bets["auth-login"]["iterations"] == 2
