"""Report tables: the session table (date, project, models, cost; --order) and terminal widths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tests.test_reports import OPUS
from tests.test_reports import SONNET
from tests.test_reports import response
from tests.test_reports import set_timezone
from tokenbook.tables import short_labels
from tokenbook.term import shown_width

API = "/home/dev/src/api-server"
WEB = "/home/dev/src/webapp"
# session, when (UTC), model, input, output, cwd. In New York (UTC-5) s-late ends on Nov 3.
SESSIONS = [
    ("a1", "2026-11-02T15:00:00Z", "aaaa1111-cheap", SONNET, 1000, 100, API),
    ("b1", "2026-11-03T15:00:00Z", "bbbb2222-costly", OPUS, 50_000, 20_000, WEB),
    ("b2", "2026-11-04T15:00:00Z", "bbbb2222-costly", SONNET, 1000, 1000, WEB),
    ("c1", "2026-11-04T02:00:00Z", "cccc3333-big", SONNET, 400_000, 100, API),
]


@pytest.fixture
def sessions(capsys: Any, vault: Path, logs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("COLUMNS", raising=False)
    set_timezone(vault, "America/New_York")
    lines = [
        response(m, ts, s, model=model, input=i, output=o, cwd=cwd)
        for m, ts, s, model, i, o, cwd in SESSIONS
    ]
    write_log(logs, "p/s.jsonl", lines)
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs, "--no-render")
    assert (code, err) == (0, "")
    return vault


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_the_session_table_shows_date_project_models_and_cost_by_cost(
    capsys, sessions, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "140")
    code, out, _ = run(capsys, "report", "session", "--vault", sessions)
    assert code == 0
    lines = out.rstrip("\n").split("\n")
    assert cells(lines[0])[:4] == ["Session", "Date", "Project", "Models"]
    assert cells(lines[0])[-2:] == ["Total", "Cost"]
    rows = [cells(ln) for ln in lines[2:5]]
    # opus 50k in + 20k out: $0.75 + sonnet $0.018; 400k sonnet input $1.2015; $0.0045.
    assert [r[0] for r in rows] == ["cccc3333…", "bbbb2222…", "aaaa1111…"]
    assert rows[0][1:4] == ["2026-11-03", API, "sonnet-4-5"]  # 02:00 UTC is Nov 3 in New York
    assert rows[1][1:4] == ["2026-11-04", WEB, "opus-4-5, sonnet-4-5"]
    assert [r[-1] for r in rows] == ["$1.20", "$0.77", "$0.00"]


@pytest.mark.parametrize(
    ("order", "want"),
    [
        ("cost", ["cccc3333-big", "bbbb2222-costly", "aaaa1111-cheap"]),
        ("tokens", ["cccc3333-big", "bbbb2222-costly", "aaaa1111-cheap"]),
        ("date", ["aaaa1111-cheap", "cccc3333-big", "bbbb2222-costly"]),
    ],
)
def test_order_applies_to_the_table_and_the_json(capsys, sessions, order, want):
    got = report(capsys, sessions, "session", "--order", order)
    assert [r["session"] for r in got["rows"]] == want
    lines = run(capsys, "report", "session", "--vault", sessions, "--order", order)[1].split("\n")
    assert [ln.split()[0] for ln in lines[2:5]] == [short_labels(want)[s] for s in want]


def test_the_json_keeps_its_order_and_fields_without_order(capsys, sessions):
    got = report(capsys, sessions, "session")
    # By first response, as before: the table's cost order is for reading.
    assert [r["session"] for r in got["rows"]] == [
        "aaaa1111-cheap",
        "bbbb2222-costly",
        "cccc3333-big",
    ]
    costly = got["rows"][1]
    assert (costly["first"], costly["last"]) == ("2026-11-03T15:00:00Z", "2026-11-04T15:00:00Z")
    assert costly["projects"] == [WEB]
    assert sorted(costly["models"]) == [OPUS, SONNET]
    bets = report(capsys, sessions, "model", "--order", "cost")
    assert [r["model"] for r in bets["rows"]] == [SONNET, OPUS]  # $1.22 before $0.75


def test_blocks_refuse_an_order(capsys, sessions, logs):
    code, _, err = run(capsys, "report", "blocks", "--vault", sessions, "--order", "cost")
    assert code == 1
    assert err == "--order does not apply to blocks: they are in time order\n"


@pytest.mark.parametrize("columns", [60, 80, 100, 140])
def test_tables_fit_the_columns_they_are_given(capsys, sessions, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for kind, extra in (("session", ()), ("daily", ("--breakdown",)), ("project", ())):
        out = run(capsys, "report", kind, "--vault", sessions, *extra)[1]
        assert max(map(shown_width, out.rstrip("\n").split("\n"))) <= columns, (kind, out)
    header = run(capsys, "report", "session", "--vault", sessions)[1].split("\n")[0].split()
    assert {"Session", "Date", "Project", "Total", "Cost"} <= set(header)
    if columns == 80:  # the cache columns are the first to go
        assert header == [
            *("Session", "Date", "Project", "Models"),
            *("Input", "Output", "Total", "Cost"),
        ]
    if columns == 60:  # then input, output and the models
        assert header == ["Session", "Date", "Project", "Total", "Cost"]


def test_a_session_breakdown_names_each_model_in_the_models_column(capsys, sessions, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = run(capsys, "report", "session", "--vault", sessions, "--breakdown")[1]
    lines = out.split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.startswith("bbbb2222…"))
    assert [cells(ln)[0] for ln in lines[i + 1 : i + 3]] == ["opus-4-5", "sonnet-4-5"]
    assert max(map(shown_width, lines)) <= 80


def test_short_ids_are_8_characters_longer_only_to_tell_two_apart():
    assert short_labels(["6f7a57be-1111", "79845e59-2222", "s1"]) == {
        "6f7a57be-1111": "6f7a57be…",
        "79845e59-2222": "79845e59…",
        "s1": "s1",
    }
    assert short_labels(["abcdefgh-1", "abcdefgh-2"]) == {
        "abcdefgh-1": "abcdefgh-1",
        "abcdefgh-2": "abcdefgh-2",
    }
    assert short_labels(["abcdefgh-1xx", "abcdefgh-2xx"])["abcdefgh-1xx"] == "abcdefgh-1…"
