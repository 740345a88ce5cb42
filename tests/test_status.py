"""Pace and iteration limits: burn per active day, projection with its interval, run-out date."""

from __future__ import annotations

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import ALPHA
from tests.test_budgets import bet
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_budgets import status


def test_burn_rate_projection_interval_and_run_out_date(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(
        logs,
        "p/a.jsonl",
        [
            response(1, "2026-11-06", 100_000),
            response(2, "2026-11-08", 300_000),
            response(3, "2026-11-09", 200_000),
        ],
    )
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    a = bet(status(capsys, vault, "--as-of", "2026-11-09"), "alpha")
    # Window 11-03..11-09: daily tokens 0, 0, 0, 100k, 0, 300k, 200k; 3 active days.
    assert a["burn_per_day"] == {
        "tokens": 200_000,  # 600k / 3 active days
        "usd": "2",  # $6 / 3
        "active_days": 3,
        "window": {"start": "2026-11-03", "end": "2026-11-09"},
        "unpriced": False,
        "unpriced_tokens": 0,
        "unpriced_models": [],
    }
    p = a["projected_at_cycle_end"]
    assert p["remaining_days"] == 6  # 11-10..11-15
    # 600k + 6 days x 600k/7 per day = 1,114,285.7; interval: every remaining day at the
    # 10th percentile day (0) or the 90th (200k + 0.4 x 100k = 240k): 600k .. 600k + 1,440k.
    assert p["tokens"] == 1_114_286
    assert p["interval"]["tokens"] == {"low": 600_000, "high": 2_040_000}
    assert p["interval"]["quantiles"] == [0.1, 0.9]
    assert p["interval"]["usd"] == {"low": "6", "high": "20.4"}
    # 400k tokens left at 600k/7 a day: 4.67 days, so the appetite is gone on day 5 after 11-09.
    assert a["runs_out_on"] == "2026-11-14"
    dashboard = (vault / "cost-dashboard.md").read_text()
    assert (
        "| [alpha](bets/alpha.md) | 3 of 7 | $2.00 · 200.0k tok | $11.14 · 1.1M tok |" in dashboard
    )
    assert "| alpha | $6.00 to $20.40 | 600.0k to 2.0M |" in dashboard


def test_a_bet_burning_faster_than_its_own_history_is_flagged(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    early = [response(i, f"2026-11-0{i}", 10_000) for i in (2, 3, 4)]  # 10k per active day
    late = [response(9, "2026-11-11", 40_000)]  # window 11-05..11-11: 40k per active day
    write_log(logs, "p/a.jsonl", [*early, *late])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    a = bet(status(capsys, vault, "--as-of", "2026-11-11"), "alpha")
    assert "burns 4.0x its own earlier pace per active day" in a["warnings"]


def test_iteration_limit_warning_pace_and_suggestions(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/a.jsonl", [response(i, "2026-11-03", 1000) for i in range(4)])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    a = bet(status(capsys, vault, "--as-of", "2026-11-03"), "alpha")
    # 4 sessions of 5 (80%); 1 of 4 deliverables done: 4 per deliverable, 16 for all four.
    assert (a["iterations"], a["max_iterations"], a["iterations_projected"]) == (4, 5, 16)
    assert a["deliverables"] == {"done": 1, "total": 4}
    assert a["warnings"] == [
        "4 of 5 sessions used (80% warning)",
        "at 4.0 sessions per deliverable, all 4 deliverables need about 16 sessions, "
        "more than the limit of 5",
    ]
    assert a["suggestions"][0].startswith("reduce scope")
    progress = (vault / "progress/alpha.md").read_text()
    assert "Iteration 4 of 5" in progress
    assert "- ⚠️ 4 of 5 sessions used (80% warning)" in progress
    code, out, _ = run(capsys, "status", "--vault", vault, "--as-of", "2026-11-03")
    assert code == 0
    header, _, row = out.split("\nBets\n")[1].split("\n")[:3]
    assert header.split() == ["Bet", "Appetite", "Used", "%", "Iter", "Alerts"]
    assert row.split()[-1] == "4/5"
    assert "! 4 of 5 sessions used (80% warning)" in out


def test_over_typical_against_similar_bets_and_the_dashboard_alerts(capsys, tmp_path, logs):
    gamma = ALPHA.replace("Alpha", "Gamma").replace("feature/alpha", "feature/gamma")
    vault = make_vault(tmp_path, gamma=gamma)  # alpha and gamma share the tag `feature`
    lines = [
        response(1, "2026-11-03", 100_000, branch="feature/gamma"),  # gamma: 100k per active day
        response(2, "2026-11-04", 900_000),  # alpha: 900k in one day, 9x gamma's; 90% of 1M
    ]
    write_log(logs, "p/a.jsonl", lines)
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    a = bet(status(capsys, vault, "--as-of", "2026-11-04"), "alpha")
    assert "burns 9.0x the median of similar bets (gamma)" in a["warnings"]
    dashboard = (vault / "cost-dashboard.md").read_text()
    assert (
        "- 🟠 **warning**: [alpha](bets/alpha.md) is at 90% of its appetite (crossed 75%, 90%). "
        "At its recent pace the appetite runs out on 2026-11-05."
    ) in dashboard
