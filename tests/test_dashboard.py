"""The dashboard as people read it: the current cycle (as `status` picks it) and the warning
when a day is in no cycle, the burn-up chart, tables that fit, links, unpriced usage as one line."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import MODEL
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_budgets import status
from tokenbook.burnup import burnup
from tokenbook.dashboard import cycle_notice
from tokenbook.model import Cycle
from tokenbook.pace import Daily
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault


def dashboard(vault: Path) -> str:
    return (vault / "cost-dashboard.md").read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The lines of one `## title` section."""
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def sync(capsys, vault: Path, logs: Path) -> None:
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err


# ------------------------------------------------------------------------------- the cycle shown


def test_status_and_the_dashboard_show_the_cycle_a_repeat_makes(capsys, tmp_path, logs):
    """c1 (11-02 → 11-15) repeats every 14 days: usage on 11-20 is in the cycle it makes
    (11-16 → 11-29), which has no file yet. Both views show that cycle, no warning."""
    vault = make_vault(tmp_path)
    cycle = vault / "cycles/c1.md"
    cycle.write_text(
        cycle.read_text().replace("reserve: 10%\n", "reserve: 10%\nrepeat: every 14 days\n")
    )
    write_log(logs, "p/a.jsonl", [response(1, "2026-11-05", 1000), response(2, "2026-11-20", 2000)])
    sync(capsys, vault, logs)
    text = dashboard(vault)
    assert (
        "## Cycle 2026-11-16\n\n2026-11-16 → 2026-11-29, day 5 of 14; made by `repeat:` from c1"
        in text
    )
    assert "[!WARNING]" not in text
    assert status(capsys, vault, "--as-of", "2026-11-20")["cycle"]["id"] == "2026-11-16"
    code, out, _ = run(capsys, "status", "--vault", vault, "--as-of", "2026-11-20")
    assert code == 0
    assert out.startswith("Cycle 2026-11-16: 2026-11-16 → 2026-11-29, day 5 of 14")


def test_a_day_in_no_cycle_is_a_warning_with_the_fix_everywhere(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/a.jsonl", [response(1, "2026-11-05", 1000), response(2, "2026-11-20", 2000)])
    sync(capsys, vault, logs)
    fix = (
        "the last one, `c1`, ended on 2026-11-15; usage from {since} on goes to `unassigned` "
        "until a cycle holds it. Run `tokenbook cycle next --repeat monthly` to write the next, "
        "or add `repeat: monthly` (or weekly, every N days) to {path}"
    )
    # The dashboard: the latest usage day, the cycle file named from the vault's root.
    shown = fix.format(since="2026-11-20", path="cycles/c1.md").replace("_", "\\_")
    text = dashboard(vault)
    assert (
        "\n> [!WARNING]\n> the latest usage day (2026-11-20) is in no cycle: " + shown + "\n"
    ) in text
    assert "## Cycle [c1](cycles/c1.md)\n\n2026-11-02 → 2026-11-15, day 14 of 14." in text
    # What sync prints (the lead wires it): the same line, with the file as loaded.
    vault_data = load_vault(vault)
    notice = cycle_notice(vault_data, load_ledgers(vault_data))
    assert notice == "the latest usage day (2026-11-20) is in no cycle: " + fix.format(
        since="2026-11-20", path=vault / "cycles/c1.md"
    )
    # status: today, from --as-of.
    code, out, _ = run(capsys, "status", "--vault", vault, "--as-of", "2026-11-21")
    assert code == 0
    first = out.split("\n\n")[0].replace("\n", " ")
    assert first == "warning: today (2026-11-21) is in no cycle: " + fix.format(
        since="today", path="cycles/c1.md"
    )
    # Inside the cycle, none of them warns.
    assert "warning" not in run(capsys, "status", "--vault", vault, "--as-of", "2026-11-10")[1]


def test_no_usage_no_notice(vault):
    v = load_vault(vault)
    assert cycle_notice(v, load_ledgers(v)) is None


# ------------------------------------------------------------------------------ burn-up chart


def test_burnup_is_cumulative_from_day_zero_against_an_even_pace():
    cycle = Cycle(id="c", start=date(2026, 11, 1), end=date(2026, 11, 10), budget_usd=Decimal(50))
    days = {date(2026, 11, 2): Daily(tokens=9, usd=Decimal(3)), date(2026, 11, 4): Daily(usd=1)}
    b = burnup(cycle, days, date(2026, 11, 4), floor=False)
    assert b is not None
    assert (b.unit, b.days, b.first, b.last) == ("USD", 4, date(2026, 11, 1), date(2026, 11, 4))
    assert b.spent == (0, 0, 3, 3, 4)
    assert b.even == (0, 5, 10, 15, 20)
    assert burnup(cycle, days, date(2026, 10, 31), floor=False) is None
    tokens = Cycle(id="c", start=date(2026, 11, 1), end=date(2026, 11, 2), budget_tokens=4_000_000)
    t = burnup(tokens, {date(2026, 11, 1): Daily(tokens=1_500_000)}, date(2026, 12, 1), True)
    assert t is not None
    assert (t.unit, t.days, t.spent, t.budget, t.even, t.floor) == (
        "M tokens",
        2,
        (0, Decimal("1.5"), Decimal("1.5")),
        4,
        (0, 2, 4),
        False,  # tokens are measured: never a floor
    )


def test_the_chart_has_a_day_axis_and_three_lines(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/a.jsonl", [response(1, "2026-11-03", 100_000)])
    sync(capsys, vault, logs)
    chart = dashboard(vault).split("```mermaid\n")[1].split("```")[0]
    assert chart.splitlines()[1:] == [
        "xychart-beta",
        '    title "Priced spend to date, 2026-11-02 to 2026-11-03"',
        '    x-axis "Day of the cycle" 0 --> 2',
        '    y-axis "USD"',
        "    line [100.00, 100.00, 100.00]",
        "    line [0.00, 7.14, 14.29]",
        "    line [0.00, 0.00, 1.00]",
    ]
    assert chart.startswith('%%{init: {"xyChart": {"width": 900, "height": 400}')
    assert "**Blue**: $1.00 spent by the end of day 2." in dashboard(vault)


# ----------------------------------------------------------------------------- tables and links


def alignments(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if re.fullmatch(r"\|(:?-+:?\|)+", ln)]


def test_numbers_are_right_aligned_and_no_table_has_more_than_seven_columns(capsys, tmp_path, logs):
    vault = make_vault(tmp_path)
    write_log(logs, "p/a.jsonl", [response(1, "2026-11-03", 100_000)])
    sync(capsys, vault, logs)
    text = dashboard(vault)
    rules = alignments(text)
    assert all(rule.count("|") - 1 <= 7 for rule in rules), rules
    bets = section(text, "Bets")
    assert (
        "| | Bet | Used (priced) | Share of appetite | Appetite | Sessions | Deliverables |\n"
        "|---|---|--:|---|--:|--:|--:|" in bets
    )
    assert (
        "| 🟢 | [alpha](bets/alpha.md) | $1.00 | █░░░░░░░░░ 10% | 1.0M tok | 1 of 5 | 1 of 4 |"
        in bets
    )
    assert "| alpha | active | 100,000 | 1.0M | — | [progress](progress/alpha.md) |" in bets


def test_wikilinks_when_the_settings_ask(capsys, tmp_path, logs):
    vault = make_vault(tmp_path, settings="links: wikilinks\n")
    write_log(logs, "p/a.jsonl", [response(1, "2026-11-03", 100_000)])
    sync(capsys, vault, logs)
    text = dashboard(vault)
    assert "## Cycle [[c1]]" in text
    assert "| 🟢 | [[alpha]] |" in text
    assert "| [[progress/alpha]] |" in text
    assert "](" not in text
    progress = (vault / "progress/alpha.md").read_text()
    assert "Bet: [[alpha]], cycle [[c1]] (" in progress


def test_an_unknown_links_setting_is_refused_with_the_choices(capsys, tmp_path):
    vault = make_vault(tmp_path, settings="links: html\n")
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert "'html' is not one of: markdown, wikilinks" in err


# ----------------------------------------------------------------------------- unpriced usage


def test_unpriced_usage_is_one_line_with_its_tokens_and_floors_everywhere(capsys, tmp_path, logs):
    """Two days of a model with no price: one note, one grouped row, `≥` on the pace of the
    cycle and of the bet, in the dashboard and the progress file; never $0."""
    vault = make_vault(tmp_path)
    odd = "claude-odd-1"
    lines = [
        response(1, "2026-11-03", 100_000),
        {
            **response(2, "2026-11-04", 50_000),
            "message": {**response(2, "2026-11-04", 50_000)["message"], "model": odd},
        },
        {
            **response(3, "2026-11-05", 70_000),
            "message": {**response(3, "2026-11-05", 70_000)["message"], "model": odd},
        },
    ]
    write_log(logs, "p/a.jsonl", lines)
    sync(capsys, vault, logs)
    text = dashboard(vault)
    note = (
        "> **≥ means a floor.**\n> 120,000 tokens of `claude-odd-1` have no price in `pricing/`: "
        "every dollar figure marked ≥ counts the priced part only, and nothing here counts them "
        "as $0."
    )
    assert note in text
    unpriced = section(text, "Unpriced usage")
    rows = [ln for ln in unpriced.splitlines() if ln.startswith("| no price")]
    assert rows == [
        "| no price for claude-odd-1 (no pattern in pricing/ matches it) | 120,000 | 2 | "
        "2026-11-04 → 2026-11-05 |"
    ]
    pace = section(text, "Pace")
    assert "| **whole cycle** | 3 of 4 | ≥$0.33 · 73.3k tok | ≥$" in pace
    assert "| [alpha](bets/alpha.md) | 3 of 4 | ≥$0.33 · 73.3k tok | ≥$" in pace
    assert "≥$0.00" not in text
    assert all("$0.00" not in ln for ln in pace.splitlines() if "alpha" in ln or "whole" in ln)
    progress = (vault / "progress/alpha.md").read_text()
    assert "> 120,000 tokens of `claude-odd-1` have no price" in progress
    assert "tokens and ≥$0.33 per active day" in progress
    assert re.search(r"Projected at cycle end: [\d,]+ tokens \([\d,]+ to [\d,]+\), ≥\$", progress)
    assert MODEL not in unpriced
