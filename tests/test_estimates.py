"""`tokenbook estimate`: medians, 10th-90th percentile intervals, plans, backtest, what-if."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import CHEAP
from tests.test_budgets import make_vault
from tests.test_budgets import response


def estimate(capsys: Any, vault: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "estimate", "--json", "--vault", vault, *extra)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def history(tmp_path: Path, logs: Path, costs: list[int]) -> Path:
    """One alpha (tag `feature`) session per day costing $N: N x 100k output tokens at $10/M."""
    vault = make_vault(tmp_path)
    lines = [response(i, f"2026-11-{3 + i:02d}", n * 100_000) for i, n in enumerate(costs)]
    write_log(logs, "p/a.jsonl", lines)
    return vault


def by_name(result: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in result["estimates"] if e["name"] == name)
    return found


def test_medians_and_intervals_per_session_and_kind(capsys, tmp_path, logs):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    result = estimate(capsys, vault)
    assert result["interval"].startswith("80% split-conformal prediction interval")
    # $1..$6: median 3.5. Too few for an 80% interval: the range. All six sessions are of one
    # bet, so they weigh as one unit (1/6 each): the range claims (1 - 1/6) / (1 + 1) = 5/12.
    feature = by_name(result, "feature")
    assert feature["sample_size"] == 6
    assert feature["median"] == "3.5"
    assert feature["interval"] == {
        "low": "1",
        "high": "6",
        "quantiles": [0.1, 0.9],
        "coverage": 5 / 12,
    }
    # each of sessions 6.. predicted from the ones before: $6 from $1..$5 falls outside
    assert feature["backtest"]["predictions"] == 1
    assert feature["backtest"]["inside_interval"] == 0
    assert feature["tokens"]["median"] == 350_000
    assert by_name(result, "all sessions")["sample_size"] == 6
    assert by_name(result, "bugfix")["sample_size"] == 0  # beta has no history: said, not faked
    assert by_name(result, "bugfix")["median"] is None
    assert by_name(result, "agent:main")["median"] == "3.5"


def test_a_planned_bet_from_its_composition_with_a_suggested_appetite(capsys, tmp_path, logs):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    plan = estimate(capsys, vault, "--plan", "2 feature")["plan"]
    assert (plan["median"], plan["interval"]["low"], plan["interval"]["high"]) == ("7", "2", "12")
    assert plan["sample_size"] == 6
    assert plan["terms"][0]["count"] == 2
    # $12 is 12% of cycle c1's $100.
    assert plan["suggested_appetite"] == {
        "usd": "12",
        "percent_of_cycle": 12.0,
        "cycle": "c1",
        "unpriced": False,
    }
    code, _, err = run(capsys, "estimate", "--vault", vault, "--plan", "2 design")
    assert code == 1
    assert err == (
        "--plan: no past sessions of kind 'design'; kinds with history (bet tags, "
        "agent:NAME): feature, agent:main\n"
    )


def test_backtest_counts_hits_and_the_median_error(capsys, tmp_path, logs):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6, 3])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    backtest = estimate(capsys, vault)["backtest"]
    # Session 6 ($6) from $1..$5: interval 1.4..4.6, miss; median 3 is 50% off.
    # Session 7 ($3) from $1..$6: interval 1.5..5.5, hit; median 3.5 is 16.7% off.
    assert backtest["predictions"] == 2
    assert backtest["inside_interval"] == 1
    assert backtest["coverage_percent"] == 50.0
    assert backtest["median_ape_percent"] == 33.3  # median of 50 and 16.67


def test_what_if_another_model_shows_the_arithmetic(capsys, tmp_path, logs):
    vault = history(tmp_path, logs, [1, 2, 3])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    what = estimate(capsys, vault, "--as-model", "claude-cheap-1", "--bet", "alpha")["what_if"]
    # 600k output tokens: $6 at $10/M; at $2/M: $1.20, saving $4.80.
    assert what["terms"] == [
        {"kind": "output", "count": 600_000, "usd_per_million": "2", "usd": "1.2"}
    ]
    assert (what["actual_usd"], what["as_model_usd"], what["saving_usd"]) == ("6", "1.2", "4.8")
    code, out, _ = run(
        capsys, "estimate", "--vault", vault, "--as-model", "Test Small", "--bet", "alpha"
    )
    assert code == 0
    assert "  output                600,000 tok x $2.0000/M = $1.2000" in out
    assert "saving: $4.8000" in out


def test_the_dashboard_suggests_a_cheaper_model_when_the_appetite_runs_low(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(
        logs,
        "p/a.jsonl",
        [
            response(1, "2026-11-03", 800_000),  # alpha at 80%: $8 at $10/M
            # the team also uses the cheaper model, so it is a candidate
            assistant("msg-2", "req-2", model=CHEAP, branch="fix/beta", ts="2026-11-03T11:00:00Z"),
        ],
    )
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    dashboard = (vault / "cost-dashboard.md").read_text()
    assert (
        "the same usage on Test Small instead of Test Large would have cost $1.60 instead of "
        "$8.00 (saving $6.40, 80%; estimated)"
    ) in dashboard
