"""Plan windows in `status`: current usage, % of limit, reset times; usage-limit events."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_budgets import status

PLAN = """---
name: Test Max
windows:
  - name: 5-hour
    hours: 5
    limit_tokens: 1000000
  - name: weekly
    hours: 168
    resets: monday 09:00
    limit_usd: 10
  - name: anchored
    hours: 5
    resets: 2026-11-02T09:00:00Z
---
"""
NOW = "2026-11-11T12:00:00Z"  # a Wednesday


def with_history(tmp_path: Path, logs: Path) -> Path:
    vault = make_vault(tmp_path)
    (vault / "plans/max.md").write_text(PLAN)
    lines = [
        response(1, "2026-11-09", 100_000) | {"timestamp": "2026-11-09T08:00:00.000Z"},
        response(2, "2026-11-10", 200_000),  # 10:00
        response(3, "2026-11-11", 300_000),  # 10:00
    ]
    write_log(logs, "p/a.jsonl", lines)
    return vault


def windows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["window"]: w for w in report["plans"]}


def test_each_window_shows_usage_limit_and_reset_from_logs_or_ledgers(capsys, tmp_path, logs):
    vault = with_history(tmp_path, logs)
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    for extra, source in ((("--logs", str(logs)), "logs"), ((), "ledgers")):
        w = windows(status(capsys, vault, "--now", NOW, *extra))
        # Rolling 5 hours: 07:00..12:00 holds the 300k response: 30% of 1M tokens.
        assert w["5-hour"] | {"source": ""} == {
            "plan": "max",
            "name": "Test Max",
            "window": "5-hour",
            "hours": 5,
            "start": "2026-11-11T07:00:00Z",
            "resets_at": None,
            "used_tokens": 300_000,
            "used_usd": "3",
            "limit_tokens": 1_000_000,
            "limit_usd": None,
            "percent": 30.0,
            "source": "",
            "unpriced": False,
            "unpriced_tokens": 0,
            "unpriced_models": [],
        }
        assert w["5-hour"]["source"] == source
        # Weekly from Monday 09:00: the 08:00 response is last week's; $5 of $10.
        weekly = w["weekly"]
        assert (weekly["start"], weekly["resets_at"]) == (
            "2026-11-09T09:00:00Z",
            "2026-11-16T09:00:00Z",
        )
        assert (weekly["used_tokens"], weekly["used_usd"], weekly["percent"]) == (
            500_000,
            "5",
            50.0,
        )
        # Every 5 hours from 2026-11-02 09:00: 219 h later, the 44th window starts at 08:00.
        anchored = w["anchored"]
        assert (anchored["start"], anchored["resets_at"]) == (
            "2026-11-11T08:00:00Z",
            "2026-11-11T13:00:00Z",
        )
    code, out, _ = run(capsys, "status", "--vault", vault, "--now", NOW)
    assert code == 0
    table = out.split("\nPlan windows\n")[1].split("\n")
    assert table[0].split() == ["Plan", "Window", "Tokens", "Cost", "Limit", "%", "Resets", "From"]
    weekly = next(ln for ln in table if " weekly " in ln)
    assert re.split(r"\s{2,}", weekly) == [
        *("Test Max", "weekly", "500,000", "$5.00", "$10.00", "50%"),
        *("2026-11-16 09:00 UTC", "ledgers"),
    ]


def test_a_bad_reset_time_is_located(capsys, tmp_path):
    vault = make_vault(tmp_path)
    (vault / "plans/max.md").write_text(PLAN.replace("monday 09:00", "mondays"))
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert err == (
        f"{vault}/plans/max.md:9: `resets`: 'mondays' is not a reset time; write `monday 09:00` "
        "(weekly), `09:00` (daily) or an ISO datetime such as `2026-11-02T09:00:00+00:00`\n"
    )


def limit_line(n: int, at: str, reset: datetime, session: str = "s-limit") -> dict[str, Any]:
    text = f"Claude AI usage limit reached|{int(reset.timestamp())}"
    line = assistant(f"limit-{n}", None, ts=at, session=session, model="<synthetic>", text=text)
    line["message"]["usage"] = {"input_tokens": 0, "output_tokens": 0}
    return line


def test_usage_limit_events_are_recorded_once_and_shown(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    reset = datetime(2026, 11, 10, 15, tzinfo=UTC)
    write_log(logs, "p/a.jsonl", [limit_line(1, "2026-11-10T12:34:56.789Z", reset)])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    limits = (vault / "limits.md").read_text()
    assert limits.endswith(
        "| at | reset_at | session |\n|---|---|---|\n"
        "| 2026-11-10T12:34:56Z | 2026-11-10T15:00:00Z | s-limit |\n"
    )
    before = snapshot(vault)
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert snapshot(vault) == before  # a re-run records nothing twice
    # A union merge from another clone duplicates the row and adds its own; readers dedupe.
    later = "| 2026-11-12T08:00:00Z | 2026-11-12T10:00:00Z | s-other |\n"
    merged = limits + later + limits.splitlines(keepends=True)[-1]
    (vault / "limits.md").write_text(merged)
    report = status(capsys, vault, "--now", NOW)
    assert report["limit_events"] == [
        {"at": "2026-11-10T12:34:56Z", "reset_at": "2026-11-10T15:00:00Z", "session": "s-limit"},
        {"at": "2026-11-12T08:00:00Z", "reset_at": "2026-11-12T10:00:00Z", "session": "s-other"},
    ]
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert (vault / "limits.md").read_text() == limits + later
    out = run(capsys, "status", "--vault", vault, "--now", NOW)[1]
    assert (
        "Usage limits reached\n"
        "  2026-11-10 12:34 UTC (session s-limit, resets 2026-11-10 15:00 UTC)\n"
        "  2026-11-12 08:00 UTC (session s-other, resets 2026-11-12 10:00 UTC)\n"
    ) in out
