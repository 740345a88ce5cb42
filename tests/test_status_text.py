"""`tokenbook status` as text: a title on every section, tables with headers, fitted widths."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import make_vault
from tests.test_budgets import response
from tests.test_plans import PLAN
from tests.test_plans import limit_line
from tokenbook.status_text import short_id
from tokenbook.term import shown_width

NOW = ("--as-of", "2026-11-04", "--now", "2026-11-04T12:00:00Z")
LONG_SESSION = "3dcd8b6c-4689-4b5b-a48b-e2b4318cf43d"


@pytest.fixture
def busy(capsys: Any, tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    vault = make_vault(tmp_path)
    (vault / "plans/max.md").write_text(PLAN)
    reset = datetime(2026, 11, 4, 15, tzinfo=UTC)
    lines = [
        response(1, "2026-11-03", 800_000),  # alpha: 80% of its 1M-token appetite
        response(2, "2026-11-04", 50_000, branch="fix/beta"),
        limit_line(3, "2026-11-04T11:00:00.000Z", reset, session=LONG_SESSION),
    ]
    write_log(logs, "p/a.jsonl", lines)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    return vault


def test_every_section_has_a_title_and_every_table_a_header(capsys, busy):
    code, out, err = run(capsys, "status", "--vault", busy, *NOW)
    assert (code, err) == (0, "")
    sections = out.rstrip("\n").split("\n\n")
    titles = [s.split("\n")[0].split(":")[0] for s in sections]
    assert titles == ["Cycle c1", "Bets", "Plan windows", "Usage limits reached"]
    bets = sections[1].split("\n")
    assert bets[1].split() == ["Bet", "Appetite", "Used", "%", "Iter", "Alerts"]
    assert set(bets[2]) <= {"-", " "}
    alpha = re.split(r"\s{2,}", bets[3].strip())
    assert alpha == ["🟡 alpha", "1.0M tok", "$8.00 / 800.0k tok", "80%", "1/5", "info (75%)"]
    plans = sections[2].split("\n")
    assert plans[1].split()[:4] == ["Plan", "Window", "Tokens", "Cost"]
    # A session id as the reports print it: 8 characters and `…`.
    assert sections[3].split("\n")[1] == (
        "  2026-11-04 11:00 UTC (session 3dcd8b6c…, resets 2026-11-04 15:00 UTC)"
    )
    assert short_id(LONG_SESSION) == "3dcd8b6c…"
    assert "\x1b[" not in out  # not a terminal: no colour


@pytest.mark.parametrize("columns", [80, 100])
def test_status_fits_the_terminal(capsys, busy, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = run(capsys, "status", "--vault", busy, *NOW)[1]
    assert max(map(shown_width, out.split("\n"))) <= columns, out


def test_colour_marks_titles_and_levels_when_forced(capsys, busy, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = run(capsys, "status", "--vault", busy, *NOW)[1]
    assert out.startswith("\x1b[1mCycle c1\x1b[0m: 2026-11-02")
    assert "\x1b[33m80%\x1b[0m" in out  # alpha at 80%: yellow
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "status", "--vault", busy, *NOW)[1]
