"""`tokenbook guard`: the Claude Code hook that watches a session's spend (docs/guards.md).

Claude Code runs it before each prompt (`UserPromptSubmit`) and before each subagent spawn
(`PreToolUse` on Task/Agent) with the session's JSON on stdin. It finds the session's bet and
cycle in the summary cache (never the ledgers), reads the session's transcripts from where it
last stopped, and answers:

- below every warning threshold: nothing;
- past one: a short warning the user sees (spend, budget, pace, what cheaper models would buy);
- past a hard limit where `guard: block` is set (bet, cycle or settings): the prompt is blocked,
  a spawn waits for the user's approval, and the message names the one command that lets this
  session go on (`tokenbook guard allow SESSION`).

It never blocks by default (`guard: warn`), and it fails open: any error of its own prints
nothing to the session and blocks nothing. `TOKENBOOK_GUARD=off` silences it for one run.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenbook.statusline import UNASSIGNED
from tokenbook.statusline import config_dir
from tokenbook.statusline import local_day
from tokenbook.statusline import read_summary
from tokenbook.statusline import session_bet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from decimal import Decimal
    from typing import Any

SPAWN_TOOLS = ("Task", "Agent")
ALLOWED = "guard-allowed.json"  # in the user's config dir: sessions allowed to go on


def allowed_file(env: Mapping[str, str], home: Path) -> Path:
    return config_dir(env, home) / ALLOWED


def allowed(env: Mapping[str, str], home: Path) -> dict[str, str]:
    """session id → the day it was allowed to go on past its hard limits."""
    try:
        data = json.loads(allowed_file(env, home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sessions = data.get("sessions") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in sessions.items()} if isinstance(sessions, dict) else {}


def allow(session: str, day: str, env: Mapping[str, str], home: Path) -> bool:
    """Record that `session` may go on past its hard limits; False when it already could."""
    from tokenbook.fileio import write_if_changed

    sessions = allowed(env, home)
    if session in sessions:
        return False
    sessions[session] = day
    text = json.dumps({"sessions": dict(sorted(sessions.items()))}, indent=1) + "\n"
    write_if_changed(allowed_file(env, home), text)
    return True


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class Verdict:
    """The guard's answer: a level ('', warn, block) and the message."""

    __slots__ = ("level", "message")

    def __init__(self, level: str = "", message: str = "") -> None:
        self.level, self.message = level, message


def judge(
    summary: Mapping[str, Any],
    payload: Mapping[str, Any],
    root: Path,
    now: datetime,
    env: Mapping[str, str],
    home: Path,
) -> Verdict:
    from tokenbook import guard_policy as gp
    from tokenbook.guard_spend import Prices
    from tokenbook.guard_spend import session_usage

    session = _text(payload.get("session_id"))
    bet_id = session_bet(summary, payload, now)
    day = local_day(now, summary["timezone"])
    guard, budget, where = gp.policy(summary, bet_id, day)
    if guard.get("mode") == "off":
        return Verdict()
    prices = Prices(summary)
    transcript = _text(payload.get("transcript_path"))
    responses = session_usage(root, Path(transcript), session) if transcript else {}
    spend = gp.Spend(responses, prices, summary["timezone"])
    checks: list[tuple[str, str, Decimal | None]] = []
    if budget is not None:
        checks.append(gp.session_check(budget, spend))
    bet = next((b for b in summary["bets"] if b["id"] == bet_id), None)
    if bet is not None and bet_id != UNASSIGNED:
        unsynced = spend if session not in summary["sessions"] else None
        checks.append(gp.bet_check(bet, guard, unsynced, summary, day))
    hit = [c for c in checks if c[0]]
    if not hit:
        return Verdict()
    worst = max(gp.LEVELS.index(c[0]) for c in hit)
    lefts = [c[2] for c in hit if c[2] is not None]
    tips = gp.advice(spend, prices, day, min(lefts)) if lefts and spend.responses else ""
    said = "; ".join(c[1] for c in hit)
    if worst == 2 and guard.get("mode") == "block":
        if session not in allowed(env, home):
            return Verdict("block", _block_text(said, guard, where, session, tips))
        said += " (allowed to go on past the hard limit by `tokenbook guard allow`)"
    elif worst == 2:
        said += f"; past the {_pct(guard['block'])} hard limit (`guard: warn`: not blocking)"
    return Verdict("warn", " ".join(p for p in (f"tokenbook: {said}.", tips) if p))


def _pct(share: str) -> str:
    from decimal import Decimal

    return f"{Decimal(share):.0%}"


def _block_text(said: str, guard: Mapping[str, Any], where: str, session: str, tips: str) -> str:
    return (
        f"tokenbook guard: {said}, past the {_pct(guard['block'])} hard limit (`guard: block` "
        f"in {where}). To let this session go on: tokenbook guard allow {session} "
        f"(or raise the budget in {where}). {tips}"
    ).strip()


def hook_output(event: str, tool: str, verdict: Verdict) -> str:
    """What Claude Code reads on stdout (exit 0): a warning it shows the user, a blocked
    prompt, or a spawn that waits for the user's approval."""
    if event == "PreToolUse":
        if tool not in SPAWN_TOOLS or verdict.level != "block":
            return ""  # the prompt's own check warned already
        decision = {
            "hookEventName": "PreToolUse",
            "permissionDecision": "ask",
            "permissionDecisionReason": verdict.message,
        }
        return json.dumps({"hookSpecificOutput": decision}, ensure_ascii=False)
    if verdict.level == "block":
        return json.dumps({"decision": "block", "reason": verdict.message}, ensure_ascii=False)
    if verdict.level == "warn":
        return json.dumps({"systemMessage": verdict.message}, ensure_ascii=False)
    return ""


def answer(
    stdin_text: str, root: Path | None, now: datetime, env: Mapping[str, str], home: Path
) -> tuple[str, str]:
    """(stdout, stderr) for one hook run, exit code 0 always. Never raises: an error of the
    guard's own is reported on stderr (Claude Code shows it only in verbose mode) and blocks
    nothing."""
    try:
        if env.get("TOKENBOOK_GUARD", "").lower() == "off" or root is None:
            return "", ""
        payload = json.loads(stdin_text) if stdin_text.strip() else {}
        if not isinstance(payload, dict):
            return "", ""
        event = _text(payload.get("hook_event_name")) or "UserPromptSubmit"
        tool = _text(payload.get("tool_name"))
        if event == "PreToolUse" and tool not in SPAWN_TOOLS:
            return "", ""
        try:
            summary = read_summary(root)
        except FileNotFoundError:
            return "", ""  # no sync yet: nothing to compare with
        verdict = judge(summary, payload, root, now, env, home)
        return hook_output(event, tool, verdict), ""
    except Exception as e:  # fail open: the guard must never stop work by failing
        return "", f"tokenbook guard: not checked ({type(e).__name__}: {e}); nothing blocked\n"


def session_part(
    summary: Mapping[str, Any], bet_id: str, payload: Mapping[str, Any], root: Path, now: datetime
) -> str:
    """The status line's `session 84% of $10.00` when a session budget applies ('' if none)."""
    from tokenbook import guard_policy as gp
    from tokenbook.guard_spend import Prices
    from tokenbook.guard_spend import session_usage

    day = local_day(now, summary["timezone"])
    _, budget, _ = gp.policy(summary, bet_id, day)
    transcript = _text(payload.get("transcript_path"))
    session = _text(payload.get("session_id"))
    if budget is None or not transcript:
        return ""
    responses = session_usage(root, Path(transcript), session)
    spend = gp.Spend(responses, Prices(summary), summary["timezone"])
    share, what, _ = gp.session_figures(budget, spend)
    mark = "!" if gp.level(share, budget) else ""
    return f"session {share:.0%}{mark} ({what})"
