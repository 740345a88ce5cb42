"""Estimates on record: `estimate --record` writes into the bet file (every other byte kept),
the estimate-vs-actual table, and the alert when usage passes the estimate."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import ALPHA
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_estimates import estimate
from tests.test_estimates import history
from tokenbook.estimate_record import estimates_markdown
from tokenbook.estimate_record import estimates_table
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

PLAN = ("--plan", "2 feature", "--record", "alpha", "--on", "2026-11-09")


def test_record_writes_the_plan_estimate_into_the_bet_and_keeps_every_other_byte(
    capsys, tmp_path, logs
):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    bet = vault / "bets" / "alpha.md"
    before = bet.read_text()
    result = estimate(capsys, vault, *PLAN)
    after = bet.read_text()
    line = next(ln for ln in after.splitlines() if ln.startswith("estimate: "))
    assert line.startswith(
        "estimate: {usd: 7, low: 2, high: 12, on: 2026-11-09, evidence: \"plan '2 feature': "
        "2 x feature (n=6); backtest"
    )
    assert after.replace(line + "\n", "") == before
    assert after.index(line) < after.index("---\n# Alpha")  # in the frontmatter
    assert result["recorded"] == {"bet": "alpha", "line": line}
    recorded = load_vault(vault).bet("alpha")
    assert recorded is not None
    assert recorded.estimate is not None
    assert (recorded.estimate.usd, recorded.estimate.low, recorded.estimate.high) == (
        Decimal(7),
        Decimal(2),
        Decimal(12),
    )
    # recording again replaces the line, nothing else
    estimate(capsys, vault, "--plan", "1 feature", "--record", "alpha", "--on", "2026-11-10")
    again = bet.read_text()
    assert again.count("estimate: ") == 1
    assert "estimate: {usd: 3.5, low: 1, high: 6, on: 2026-11-10" in again


def test_a_block_estimate_and_crlf_endings_are_replaced_in_place(capsys, tmp_path, logs):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    bet = vault / "bets" / "alpha.md"
    text = ALPHA.replace("tags: [feature]\n", "estimate:\n  usd: 40\n  low: 1\ntags: [feature]\n")
    bet.write_bytes(text.replace("\n", "\r\n").encode())
    estimate(capsys, vault, *PLAN)
    data = bet.read_bytes().decode()
    assert "\n" not in data.replace("\r\n", "")
    lines = data.split("\r\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("estimate: {usd: 7,"))
    assert lines[at + 1] == "tags: [feature]"
    assert "  usd: 40" not in data
    assert data.replace(lines[at] + "\r\n", "") == ALPHA.replace("\n", "\r\n")


def test_record_refuses_an_unknown_bet_and_a_bad_estimate_is_a_located_error(
    capsys, tmp_path, logs
):
    vault = history(tmp_path, logs, [1, 2, 3, 4, 5, 6])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    code, _, err = run(
        capsys, "estimate", "--vault", vault, "--plan", "1 feature", "--record", "nope"
    )
    assert code == 1
    assert err == "--record: no bet 'nope'; bets: alpha, beta\n"
    bet = vault / "bets" / "alpha.md"
    bet.write_text(ALPHA.replace("tags:", "estimate: {usd: 9, low: 10}\ntags:"))
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert (
        f"{vault}/bets/alpha.md:8: the estimate 9 is outside its interval; need low <= usd "
        "<= high" in err
    )
    bet.write_text(ALPHA.replace("tags:", "estimate_alert: lots\ntags:"))
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert f"{vault}/bets/alpha.md:8: `estimate_alert`: expected a whole number" in err


def with_estimate(vault: Path, usd: str, status: str = "active", alert: str = "") -> None:
    bet = vault / "bets" / "alpha.md"
    extra = f"estimate: {{usd: {usd}, low: 1, high: 4, on: 2026-11-02}}\n{alert}"
    bet.write_text(
        ALPHA.replace("tags:", extra + "tags:").replace(
            "max_iterations: 5\n", f"status: {status}\n"
        )
    )


def test_usage_past_110_percent_of_the_estimate_alerts_once(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    with_estimate(vault, "2")
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 210_000)])  # $2.10: 105%
    out = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert "estimate" not in out
    write_log(logs, "p/2.jsonl", [response(2, "2026-11-04", 20_000)])  # $2.30: 115%
    out = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert [ln for ln in out.splitlines() if ln.startswith("alert:")] == [
        "alert: warning: bet alpha passed 110% of its estimate (now 115%: $2.30 of $2.00, cycle c1)"
    ]
    again = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert "alert:" not in again


def test_a_bet_sets_its_own_estimate_threshold(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    with_estimate(vault, "2", alert="estimate_alert: 150%\n")
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 230_000)])  # 115%: under 150%
    out = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert "estimate" not in out
    write_log(logs, "p/2.jsonl", [response(2, "2026-11-04", 80_000)])  # $3.10: 155%
    out = run(capsys, "sync", "--vault", vault, "--logs", logs)[1]
    assert "alert: warning: bet alpha passed 150% of its estimate (now 155%" in out


def test_the_estimate_vs_actual_table(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    with_estimate(vault, "2.5")
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 280_000)])  # $2.80
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    v = load_vault(vault)
    (running,) = estimates_table(v, load_ledgers(v))
    assert (running.percent, running.error, running.within) == (Decimal(112), None, None)
    with_estimate(vault, "2.5", status="done")
    v = load_vault(vault)
    rows = estimates_table(v, load_ledgers(v))
    (row,) = rows
    assert row.used.usd == Decimal("2.8")
    assert row.error == Decimal(12)  # 2.80 is 12% over 2.50: within ±20%
    assert (row.within, row.inside) == (True, True)
    assert estimates_markdown(rows) == [
        "| bet | status | estimate | interval | on | used | of estimate | error | ±20% | "
        "in interval |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| [[alpha]] | done | $2.50 | $1.00 to $4.00 | 2026-11-02 | $2.80 | 112% | +12% | yes "
        "| yes |",
        "",
        "Done bets with an estimate: 1; actual within ±20% of it: 1 (100%); 1 of 1 inside "
        "their stated interval.",
    ]


def test_status_shows_the_estimate_and_the_usage_against_it(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    with_estimate(vault, "2")
    write_log(logs, "p/1.jsonl", [response(1, "2026-11-03", 230_000)])  # $2.30: 115%
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    as_of = ("--as-of", "2026-11-04", "--now", "2026-11-04T12:00:00Z")
    code, out, err = run(capsys, "status", "--vault", vault, *as_of)
    assert code == 0, err
    assert (
        "estimate $2.00 ($1.00 to $4.00) on 2026-11-02; used so far $2.30 = 115%, past its "
        "110% alert"
    ) in out
    code, out, err = run(capsys, "status", "--json", "--vault", vault, *as_of)
    alpha = next(b for b in json.loads(out)["bets"] if b["id"] == "alpha")
    assert alpha["estimate"] == {
        "usd": "2",
        "low": "1",
        "high": "4",
        "on": "2026-11-02",
        "evidence": "",
        "alert_percent": 110,
        "used_percent": 115.0,
        "used_unpriced": False,
        "actual_usd": None,
        "error_percent": None,
        "within_20": None,
        "inside_interval": None,
    }
