"""Cycle budgets and appetites: `check` warnings, percentages, `status --json` and `--strict`.

The vaults here are built by hand so every figure can be worked out in the test: one model at
$10 per million output tokens (nothing else costs), and budget tokens counting input and output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log

MODEL = "claude-test-1"  # $10 per million output tokens
CHEAP = "claude-cheap-1"  # $2 per million output tokens

PRICING = f"""---
models:
  - match: {MODEL}
    name: Test Large
    prices:
      - from: 2026-01-01
        input: 1
        output: 10
        cache_write_5m: 1
        cache_write_1h: 1
        cache_read: 0.1
  - match: {CHEAP}
    name: Test Small
    prices:
      - from: 2026-01-01
        input: 0.5
        output: 2
        cache_write_5m: 0.5
        cache_write_1h: 0.5
        cache_read: 0.05
---
"""

ALPHA = """---
title: Alpha
cycle: c1
appetite_tokens: 1000000
max_iterations: 5
match:
  - branch: "feature/alpha*"
tags: [feature]
---
# Alpha

- [x] first
- [ ] second
- [ ] third
- [ ] fourth
"""

BETA = """---
title: Beta
cycle: c1
appetite: 20%
alert_thresholds: [50]
match:
  - branch: "fix/beta*"
tags: [bugfix]
---
# Beta
"""


def make_vault(tmp_path: Path, settings: str = "", **bets: str) -> Path:
    """Cycle c1 (2026-11-02 → 2026-11-15, $100 and 10M tokens, 10% reserve), bets alpha/beta."""
    root = tmp_path / "budget"
    for folder in ("cycles", "bets", "pricing", "plans"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tokenbook.md").write_text(
        f"---\ntimezone: UTC\ntoken_budget_kinds: [input, output]\n{settings}---\n"
    )
    (root / "cycles/c1.md").write_text(
        "---\nstart: 2026-11-02\nend: 2026-11-15\nbudget_usd: 100\n"
        "budget_tokens: 10000000\nreserve: 10%\n---\n"
    )
    (root / "pricing/test.md").write_text(PRICING)
    for name, text in ({"alpha": ALPHA, "beta": BETA} | bets).items():
        if text:
            (root / "bets" / f"{name}.md").write_text(text)
    return root


def response(
    n: int, day: str, output: int, *, branch: str = "feature/alpha", session: str = ""
) -> dict[str, Any]:
    """One response of `output` tokens (nothing else), at 10:00 UTC on `day`."""
    return assistant(
        f"msg-{n}",
        f"req-{n}",
        ts=f"{day}T10:00:00.000Z",
        session=session or f"s-{n}",
        model=MODEL,
        input=0,
        output=output,
        cache_write=0,
        cache_read=0,
        branch=branch,
    )


def status(capsys: Any, vault: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "status", "--json", "--vault", vault, *extra)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def bet(report: dict[str, Any], bet_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in report["bets"] if b["id"] == bet_id)
    return found


def test_check_warns_about_over_committed_and_overlapping_cycles(capsys, tmp_path):
    gamma = BETA.replace("Beta", "Gamma").replace("20%", "65%").replace("fix/beta", "gamma")
    vault = make_vault(tmp_path, gamma=gamma)
    (vault / "cycles/c2.md").write_text("---\nstart: 2026-11-15\nend: 2026-11-30\n---\n")
    code, out, err = run(capsys, "check", "--vault", vault)
    assert code == 0, err  # planning problems warn: a budget is a signal, never a stop
    assert "ok: 2 cycle(s), 3 bet(s)" in out
    # alpha: 1M of 10M tokens = 10%; beta 20%; gamma 65%: 95% > 100% - 10% reserve.
    assert err.splitlines() == [
        f"{vault}/cycles/c1.md:1: warning: the appetites of cycle `c1` add up to 95% "
        "(alpha 10%, beta 20%, gamma 65%), more than the 90% left after the 10% reserve; "
        "lower an appetite, move a bet to another cycle, or raise the budget",
        f"{vault}/cycles/c2.md:1: warning: cycle `c2` (2026-11-15 → 2026-11-30) overlaps cycle "
        "`c1` (2026-11-02 → 2026-11-15); move `start:` after 2026-11-15",
    ]


def test_appetites_that_fit_give_no_warning_and_a_bet_needs_a_cycle(capsys, tmp_path):
    vault = make_vault(tmp_path)
    code, _, err = run(capsys, "check", "--vault", vault)
    assert (code, err) == (0, "")
    (vault / "bets/delta.md").write_text("---\nappetite: 10%\n---\n")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert err == f"{vault}/bets/delta.md:1: missing `cycle`; add a line `cycle: ...`\n"


def test_turn_iterations_are_refused_with_the_fix(capsys, tmp_path):
    vault = make_vault(tmp_path, settings="iteration_unit: turn\n")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert err == (
        f"{vault}/tokenbook.md:4: `iteration_unit: turn` is not supported yet (ledgers count "
        "sessions, not user turns); use `iteration_unit: session`\n"
    )


def test_status_json_percentages_alerts_and_strict_exit(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(
        logs,
        "p/a.jsonl",
        [
            response(1, "2026-11-03", 750_000),  # alpha: 750k of 1M tokens = 75%
            response(2, "2026-11-04", 1_100_000, branch="fix/beta"),  # beta: $11 of $20 = 55%
        ],
    )
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    report = status(capsys, vault, "--as-of", "2026-11-04", "--now", "2026-11-04T12:00:00Z")
    a, b = bet(report, "alpha"), bet(report, "beta")
    assert (a["appetite_tokens"], a["appetite_usd"]) == (1_000_000, None)
    assert (a["used_tokens"], a["used_usd"], a["percent"]) == (750_000, "7.5", 75.0)
    assert (a["alerts"], a["alert_level"]) == ([75], "info")
    assert (a["iterations"], a["max_iterations"]) == (1, 5)
    # beta: 20% of $100 and of 10M tokens; 1.1M / 2M tokens = 55%, $11 / $20 = 55%
    assert (b["appetite_usd"], b["appetite_tokens"], b["percent"]) == ("20", 2_000_000, 55.0)
    assert b["alerts"] == [50]  # its own thresholds replace the vault's 75/90/100
    c = report["cycle"]
    assert (c["id"], c["day"], c["days"], c["used_tokens"], c["used_usd"]) == (
        "c1",
        3,
        14,
        1_850_000,
        "18.5",
    )
    assert c["percent"] == 18.5
    code, _, _ = run(capsys, "status", "--strict", "--vault", vault, "--as-of", "2026-11-04")
    assert code == 0  # nobody is at 100%

    write_log(logs, "p/b.jsonl", [response(3, "2026-11-05", 250_000)])  # alpha: exactly 100%
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    code, out, _ = run(capsys, "status", "--strict", "--vault", vault, "--as-of", "2026-11-05")
    assert code == 2
    assert "alpha" in out
    assert "action required (75%, 90%, 100%)" in out


def test_a_tiny_burn_rate_gives_no_run_out_date_instead_of_crashing(capsys, tmp_path):
    """A 9-token manual entry against a 600M-token cycle: the run-out day would be past year
    9999 (OverflowError before); it is simply later than the cycle's end."""
    root = tmp_path / "v"
    assert run(capsys, "init", root)[0] == 0
    code, _, err = run(
        capsys,
        "log",
        "--vault",
        root,
        "--bet",
        "first-feature",
        "--tokens",
        "9",
        "--model",
        "claude-sonnet-4-5",
    )
    assert (code, "Traceback" in err) == (0, False), err
    assert run(capsys, "render", "--check", "--vault", root)[0] == 0
