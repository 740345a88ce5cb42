"""The Claude Code status line: one short line from a small cached summary, never the ledgers.

`render_all` writes `<vault>/.tokenbook-cache/summary.json` (git-ignored, disposable) after every
render; `status_line` reads it, finds the bet the running session counts toward and prints its
share of the appetite. This module imports nothing heavy, so the command answers in milliseconds:
the line's own path takes folders as strings (`pathlib` and `re` cost more than the answer), and
the guard's modules load only when a session budget can apply.
"""

from __future__ import annotations

import json
import os
from datetime import UTC
from datetime import timedelta

from tokenbook.statusformat import UNASSIGNED as UNASSIGNED
from tokenbook.statusformat import format_line
from tokenbook.statusformat import windows

TYPE_CHECKING = False  # `typing`, `dataclasses` and `decimal` cost more than the whole answer
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date
    from datetime import datetime
    from decimal import Decimal
    from pathlib import Path
    from typing import Any

    from tokenbook.model import Bet
    from tokenbook.model import Vault

    Folder = str | os.PathLike[str]

CACHE_DIR = ".tokenbook-cache"
SUMMARY = f"{CACHE_DIR}/summary.json"
SUMMARY_FORMAT = 1
RECENT_DAYS = 45  # sessions of this many days before the latest usage are looked up directly
FALLBACK = "tokenbook: status unavailable"


def config_dir(env: Mapping[str, str], home: Path) -> Path:
    from pathlib import Path

    return Path(_config_dir(env, home))


def _config_dir(env: Mapping[str, str], home: Folder) -> str:
    base = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return os.path.join(base, "tokenbook")


def recorded_vault_file(env: Mapping[str, str], home: Path) -> Path:
    """Where `tokenbook hook install` records the vault the status line should read."""
    return config_dir(env, home) / "vault"


def find_vault(arg: Path | None, env: Mapping[str, str], home: Path) -> Path | None:
    """`--vault`, else `$TOKENBOOK_VAULT`, else the vault `hook install` recorded."""
    from pathlib import Path

    found = find_root(arg, env, home)
    return None if found is None else Path(found)


def find_root(arg: Folder | None, env: Mapping[str, str], home: Folder) -> Folder | None:
    """`find_vault` without `pathlib`: the folder as given."""
    if arg is not None:
        return arg
    if env.get("TOKENBOOK_VAULT"):
        return env["TOKENBOOK_VAULT"]
    try:
        with open(os.path.join(_config_dir(env, home), "vault"), encoding="utf-8") as f:
            text = f.read().strip()
    except OSError:
        return None
    return text or None


# ------------------------------------------------------------------------------------ summary


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def build_summary(
    vault: Vault,
    bets: list[dict[str, Any]],
    sessions: Mapping[str, str],
    as_of: date | None,
) -> dict[str, Any]:
    from tokenbook import guard_summary  # render's side only: the line never imports it

    return {
        "format": SUMMARY_FORMAT,
        "timezone": vault.settings.timezone,
        "as_of": as_of.isoformat() if as_of else None,
        "cycles": [
            {"id": c.id, "start": c.start.isoformat(), "end": c.end.isoformat()}
            | guard_summary.cycle_part(c)
            for c in vault.cycles
        ],
        "bets": bets,
        "sessions": dict(sorted(sessions.items())),
    } | guard_summary.vault_part(vault)


def bet_summary(
    bet: Bet,
    percent: Decimal | None,
    used_usd: Decimal,
    appetite_usd: Decimal | None,
    used_tokens: int,
    appetite_tokens: int | None,
    *,
    unpriced_tokens: int = 0,
    unpriced: bool = False,
) -> dict[str, Any]:
    """`used_usd` is the priced part; `unpriced` says part of the usage has no price (then
    `used_usd` and `percent` are floors) and `unpriced_tokens` how much."""
    from tokenbook.guard_summary import bet_part

    return {
        "id": bet.id,
        "title": bet.title,
        "cycle": bet.cycle,
        "status": bet.status,
        "rules": [{"project": r.project, "branch": r.branch} for r in bet.rules],
        "sessions": list(bet.sessions),
        "percent": None if percent is None else f"{percent:.1f}",
        "used_usd": _money(used_usd),
        "appetite_usd": _money(appetite_usd),
        "used_tokens": used_tokens,
        "appetite_tokens": appetite_tokens,
        "unpriced": unpriced,
        "unpriced_tokens": unpriced_tokens,
    } | bet_part(bet)


def recent_sessions(rows: list[tuple[date, str, str]], as_of: date | None) -> dict[str, str]:
    """session → ledger for sessions seen in the last RECENT_DAYS days before `as_of`."""
    if as_of is None:
        return {}
    since = as_of - timedelta(days=RECENT_DAYS)
    return {session: ledger for day, session, ledger in sorted(rows) if day >= since}


def summary_text(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def read_summary(root: Folder) -> dict[str, Any]:
    with open(os.path.join(root, SUMMARY), encoding="utf-8") as f:
        data: dict[str, Any] = json.loads(f.read())
    if data.get("format") != SUMMARY_FORMAT:
        raise ValueError("summary of another tokenbook version; run tokenbook render")
    return data


# ---------------------------------------------------------------------------------- the line


def attribute(summary: Mapping[str, Any], session: str, day: str, project: str, branch: str) -> str:
    """`tokenbook.attribution.Attributor.bet_for` on the summary's plain data (kept equal to it by
    tests/test_statusline.py): explicit `sessions:`, else exactly one active bet whose cycle holds
    `day` (ISO) and one of whose rules matches, else `unassigned`."""
    bets = summary["bets"]
    for bet in bets:
        if session in bet["sessions"]:
            return str(bet["id"])
    cycles = {c["id"]: (c["start"], c["end"]) for c in summary["cycles"]}
    matches = [b["id"] for b in bets if _claims(b, cycles, day, project, branch)]
    return str(matches[0]) if len(matches) == 1 else UNASSIGNED


def _claims(
    bet: Mapping[str, Any],
    cycles: Mapping[str, tuple[str, str]],
    day: str,
    project: str,
    branch: str,
) -> bool:
    span = cycles.get(bet["cycle"])
    if bet["status"] != "active" or span is None or not span[0] <= day <= span[1]:
        return False
    from fnmatch import fnmatchcase  # only for a session no ledger knows: it loads `re`

    return any(
        (r["project"] is None or fnmatchcase(project, r["project"]))
        and (r["branch"] is None or fnmatchcase(branch, r["branch"]))
        for r in bet["rules"]
    )


def local_day(now: datetime, timezone: str) -> str:
    if timezone == "UTC":
        return now.astimezone(UTC).date().isoformat()
    from zoneinfo import ZoneInfo  # only when needed: it costs milliseconds

    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def session_bet(summary: Mapping[str, Any], payload: Mapping[str, Any], now: datetime) -> str:
    """The bet this session counts toward: where its rows already are, else the attribution
    rules (explicit `sessions:`, then match rules within the cycle), else `unassigned`."""
    session = _text(payload.get("session_id"))
    workspace = payload.get("workspace")
    cwd = _text(workspace.get("current_dir")) if isinstance(workspace, dict) else ""
    cwd = cwd or _text(payload.get("cwd"))
    explicit = next((b["id"] for b in summary["bets"] if session in b["sessions"]), None)
    if explicit is not None:
        return str(explicit)
    known = summary["sessions"].get(session)
    if isinstance(known, str):
        return known
    day = local_day(now, summary["timezone"])
    from tokenbook.gitbranch import git_branch

    branch = git_branch(cwd) if cwd else ""
    return attribute(summary, session, day, cwd, branch)


def _budgeted(summary: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """Whether a session budget can apply (else `guard.session_part` is ''): some bet or cycle
    has one, and Claude Code named the session's transcript."""
    if not _text(payload.get("transcript_path")):
        return False
    return any(x.get("session_budget") for x in (*summary["bets"], *summary["cycles"]))


def status_line(
    stdin_text: str, root: Folder | None, now: datetime, env: Mapping[str, str] = os.environ
) -> str:
    """Never raises: any problem gives a short fallback line naming it."""
    try:
        if root is None:
            return f"{FALLBACK} (no vault: set TOKENBOOK_VAULT or run tokenbook hook install)"
        try:
            summary = read_summary(root)
        except FileNotFoundError:
            from pathlib import Path  # the folder as `Path` prints it

            return f"{FALLBACK} (no summary yet: run tokenbook sync --vault {Path(root)})"
        payload = json.loads(stdin_text) if stdin_text.strip() else {}
        if not isinstance(payload, dict):
            payload = {}
        bet_id = session_bet(summary, payload, now)
        ansi = not env.get("NO_COLOR")
        line = format_line(summary, bet_id, windows(payload), ansi)
        if not _budgeted(summary, payload):
            return line
        from pathlib import Path

        from tokenbook.guard import session_part  # '' unless a session budget applies

        part = session_part(summary, bet_id, payload, Path(root), now)
        return f"{line} · {part}" if part else line
    except Exception as e:  # the status line must never crash Claude Code's footer
        return f"{FALLBACK} ({type(e).__name__})"
