"""Unpriced usage is never $0: a vault whose ledgers hold a model with no price, through every
command that shows money (status, estimate, reports, blocks, the status line).

The vault (tests/test_budgets.py): Test Large costs $10 per million output tokens, budget tokens
count input and output. Bet beta (20% of cycle c1: $20 and 2M tokens, branch fix/beta) has:

    s-1  2026-11-03 10:00  Test Large 100k output             $1
    s-2  2026-11-04 10:00  Test Large 200k + mystery 300k      $2 + unpriced
    s-3  2026-11-05 10:00  mystery 400k                        unpriced only

`claude-mystery-1` matches nothing in pricing/: 700k unpriced tokens, $3 priced.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import bet
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_budgets import status
from tests.test_estimates import by_name
from tests.test_estimates import estimate
from tests.test_plans import PLAN
from tokenbook.money import Money
from tokenbook.money import amount
from tokenbook.money import money_text
from tokenbook.money import unpriced
from tokenbook.money import unpriced_note
from tokenbook.statusline import status_line

MYSTERY = "claude-mystery-1"
AS_OF = ("--as-of", "2026-11-05", "--now", "2026-11-05T12:00:00Z")
NOON = datetime(2026, 11, 5, 12, tzinfo=UTC)
NOTE = "≥: 700,000 tokens of claude-mystery-1 have no price in pricing/"


def beta(n: int, day: str, output: int, session: str, model: str = "") -> dict[str, Any]:
    line = response(n, day, output, branch="fix/beta", session=session)
    if model:
        line["message"]["model"] = model
    return line


@pytest.fixture
def mystery(capsys: Any, tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("COLUMNS", raising=False)
    vault = make_vault(tmp_path)
    (vault / "plans/max.md").write_text(PLAN)
    lines = [
        beta(1, "2026-11-03", 100_000, "s-1"),
        beta(2, "2026-11-04", 200_000, "s-2"),
        beta(3, "2026-11-04", 300_000, "s-2", MYSTERY),
        beta(4, "2026-11-05", 400_000, "s-3", MYSTERY),
    ]
    write_log(logs, "p/beta.jsonl", lines)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    assert f"no price for {MYSTERY}" in err  # sync says so too
    return vault


# ------------------------------------------------------------------------------ the helpers


def test_money_text_marks_floors_and_never_shows_zero_for_unpriced():
    assert money_text(Money(usd=Decimal("3"))) == "$3.00"
    assert money_text(Money(usd=Decimal("3")) + unpriced(10, "m")) == "≥$3.00"
    assert money_text(Money() + unpriced(10, "m")) == "unpriced"
    assert money_text(Money()) == "$0.00"  # no usage at all costs nothing
    assert amount(Decimal("1234.567"), False) == "$1,234.57"
    both = unpriced(10, "b") + unpriced(5, "a") + Money(usd=Decimal(1))
    assert (both.usd, both.unpriced_tokens, both.unpriced_models) == (1, 15, {"a", "b"})
    assert unpriced_note(1234, ["z", "a", "c", "b"]).startswith(
        "≥: 1,234 tokens of a, b, c and 1 more have no price in pricing/"
    )


# ------------------------------------------------------------------------------- the commands


def test_status_json_keeps_the_priced_part_and_says_what_is_unpriced(capsys, mystery):
    got = status(capsys, mystery, *AS_OF)
    b = bet(got, "beta")
    assert (b["used_usd"], b["unpriced_tokens"], b["unpriced_models"]) == ("3", 700_000, [MYSTERY])
    assert b["unpriced"] == [
        f"no price for {MYSTERY} on 2026-11-04 (no pattern in pricing/ matches it)",
        f"no price for {MYSTERY} on 2026-11-05 (no pattern in pricing/ matches it)",
    ]
    # Window 11-02..11-05, 3 active days: $3 priced / 3 = $1, and 700k tokens left out.
    assert b["burn_per_day"]["usd"] == "1"
    assert b["burn_per_day"]["unpriced"] is True
    assert b["burn_per_day"]["unpriced_tokens"] == 700_000
    assert b["projected_at_cycle_end"]["unpriced"] is True
    assert b["projected_at_cycle_end"]["unpriced_tokens"] == 700_000
    cycle = got["cycle"]
    assert (cycle["used_usd"], cycle["unpriced_tokens"]) == ("3", 700_000)
    assert cycle["burn_per_day"]["unpriced"] is True
    # Rolling 5 hours to 12:00 hold only s-3's unpriced response: its cost is not $0.
    five = next(w for w in got["plans"] if w["window"] == "5-hour")
    assert (five["used_tokens"], five["used_usd"]) == (400_000, "0")
    assert (five["unpriced"], five["unpriced_tokens"], five["unpriced_models"]) == (
        True,
        400_000,
        [MYSTERY],
    )


def test_status_text_marks_every_money_figure(capsys, mystery):
    code, out, err = run(capsys, "status", "--vault", mystery, *AS_OF)
    assert (code, err) == (0, "")
    assert "  used ≥$3.00 of $100.00 (priced)" in out
    assert NOTE in " ".join(out.split())
    row = next(ln for ln in out.split("\n") if " beta " in ln)
    # 1M of 2M budget tokens: 50%, and the USD share is a floor, so the percentage is too.
    assert re.split(r"\s{2,}", row.strip())[1:4] == [
        "$20.00 / 2.0M tok",
        "≥$3.00 / 1.0M tok",
        "≥50%",
    ]
    assert "burn 333.3k tok, ≥$1.00 per active day (3 of the last 4 days)" in out
    five = next(ln for ln in out.split("\n") if " 5-hour " in ln)
    assert re.split(r"\s{2,}", five)[2:4] == ["400,000", "unpriced"]  # not $0.00
    assert "≥ Test Max, 5-hour: 400,000 tokens of claude-mystery-1 have no price" in out


def test_estimates_leave_out_sessions_with_no_price_and_mark_floors(capsys, mystery):
    got = estimate(capsys, mystery, "--plan", "2 bugfix", "--like", "bugfix")
    everything = by_name(got, "all sessions")
    # $1 and ≥$2 (s-3 has no price at all: left out, never $0): median ≥$1.50.
    assert (everything["sample_size"], everything["usd_sample_size"]) == (3, 2)
    assert everything["left_out_unpriced"] == 1
    assert (everything["median"], everything["unpriced"]) == ("1.5", True)
    assert (everything["unpriced_tokens"], everything["unpriced_models"]) == (700_000, [MYSTERY])
    assert everything["tokens"]["median"] == 400_000  # tokens count every session
    plan = got["plan"]
    assert (plan["median"], plan["unpriced"], plan["unpriced_models"]) == ("3", True, [MYSTERY])
    assert plan["suggested_appetite"]["unpriced"] is True
    like = got["like"]
    assert (like["median"], like["unpriced"], like["sample_size"]) == ("3", True, 1)
    assert got["backtest"]["left_out_unpriced"] == 2
    code, out, _ = run(capsys, "estimate", "--vault", mystery, "--plan", "2 bugfix")
    assert code == 0
    assert re.search(
        r"all sessions +n=3 +≥\$1\.50 \(≥\$1\.00 to ≥\$2\.00, claims 25%\) per session, .*"
        r"; 1 unpriced session\(s\) left out of \$",
        out,
    )
    assert "  total ≥$3.00 (≥$2.00 to ≥$4.00; the terms' intervals added)" in out
    assert "2 with unpriced usage left out (their cost is not known)" in out
    assert NOTE in " ".join(out.split())


def test_an_estimate_with_no_priced_sample_says_unpriced_not_zero(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/m.jsonl", [beta(1, "2026-11-03", 100, "s-1", MYSTERY)])
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    got = by_name(estimate(capsys, vault), "bugfix")
    assert (got["median"], got["left_out_unpriced"], got["usd_sample_size"]) == (None, 1, 0)
    out = run(capsys, "estimate", "--vault", vault)[1]
    assert re.search(r"bugfix +n=1 +unpriced \(no session has a price\)", out)
    code, _, err = run(capsys, "estimate", "--vault", vault, "--plan", "1 bugfix")
    assert (code, err) == (0, "")


def test_what_if_counts_the_tokens_it_leaves_out(capsys, mystery):
    got = estimate(capsys, mystery, "--as-model", "Test Small")["what_if"]
    assert (got["actual_usd"], got["as_model_usd"]) == ("3", "0.6")
    assert (got["actual_unpriced_tokens"], got["actual_unpriced_models"]) == (700_000, [MYSTERY])
    out = run(capsys, "estimate", "--vault", mystery, "--as-model", "Test Small")[1]
    assert "  left out, no actual price: 700,000 tokens of claude-mystery-1" in out


def test_reports_blocks_and_sessions_mark_unpriced_usage(capsys, mystery, logs):
    now = ("--now", "2026-11-05T11:00:00Z", "--logs", str(logs))
    code, out, _ = run(capsys, "report", "blocks", "--json", "--vault", mystery, *now)
    assert code == 0
    active = json.loads(out)["rows"][-1]
    assert active["active"] is True
    assert (active["cost_usd"], active["priced_usd"], active["unpriced_tokens"]) == (
        None,
        "0",
        400_000,
    )
    assert active["burn_rate"]["usd_per_hour"] is None  # documented: null, never $0
    assert active["burn_rate"]["unpriced_tokens"] == 400_000
    text = run(capsys, "report", "blocks", "--vault", mystery, *now)[1]
    assert "  so far: 400,000 tokens, unpriced in 1h 00m" in text
    assert "  burn rate: 6,667 tokens/min, unpriced/hour" in text
    assert NOTE in " ".join(text.split())
    lines = run(capsys, "report", "session", "--vault", mystery)[1].split("\n")
    costs = [(ln.split()[0], ln.split()[-1]) for ln in lines[2:5]]
    assert costs == [("s-2", "≥$2.00"), ("s-1", "$1.00"), ("s-3", "unpriced")]  # by cost


def test_the_status_line_marks_a_floor(capsys, mystery):
    line = status_line(json.dumps({"session_id": "s-3"}), mystery, NOON, env={"NO_COLOR": "1"})
    assert line == "tokenbook: beta ≥50% of appetite (≥$3.00/$20.00, 700.0k tok unpriced)"
