"""`tokenbook export --csv|--json`: every ledger row with its exact cost or why it has none."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log
from tokenbook.export import COLUMNS


@pytest.fixture
def synced(capsys, vault, logs):
    write_log(
        logs,
        "p/a.jsonl",
        [
            # Opus 4.5 on 2026-11-03 for auth-login: 10*5 + 100*25 + 1000*6.25 + 5000*0.5 per MTok.
            assistant("m1", session="s-auth"),
            # An unknown model on 2026-11-04 in the data pipeline: unpriced.
            assistant(
                "m2",
                session="s-data",
                model="claude-experimental-9",
                cwd="/home/dev/src/data_pipeline",
                branch="main",
                ts="2026-11-04T08:00:00.000Z",
            ),
        ],
    )
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    return vault


def test_csv_has_a_header_and_one_line_per_row(capsys, synced):
    code, out, err = run(capsys, "export", "--csv", "--vault", synced)
    assert (code, err) == (0, "")
    assert out.split("\n")[0] == ",".join(COLUMNS)
    records = list(csv.DictReader(io.StringIO(out)))
    assert [(r["date"], r["bet"], r["session"]) for r in records] == [
        ("2026-11-03", "auth-login", "s-auth"),
        ("2026-11-04", "data-pipeline", "s-data"),
    ]
    auth, data = records
    assert auth["cost_usd"] == "0.0113"  # (50 + 2500 + 6250 + 2500) / 1e6
    assert auth["unpriced"] == ""
    assert (auth["input"], auth["output"], auth["cache_write_5m"], auth["cache_read"]) == (
        "10",
        "100",
        "1000",
        "5000",
    )
    assert auth["project"] == "/home/dev/src/webapp"
    assert data["cost_usd"] == ""
    assert data["unpriced"].startswith("no price for claude-experimental-9 on 2026-11-04")
    assert "\r" not in out


def test_json_uses_null_for_unpriced_and_filters_like_report(capsys, synced):
    code, out, _ = run(capsys, "export", "--json", "--vault", synced)
    assert code == 0
    rows = json.loads(out)["rows"]
    assert list(rows[0]) == list(COLUMNS)
    assert [r["cost_usd"] for r in rows] == ["0.0113", None]
    assert rows[0]["unpriced"] is None
    assert rows[0]["responses"] == 1
    one_day = ["--since", "2026-11-04", "--until", "20261104"]
    code, out, _ = run(capsys, "export", "--json", "--vault", synced, *one_day)
    assert [r["session"] for r in json.loads(out)["rows"]] == ["s-data"]
    code, out, _ = run(capsys, "export", "--json", "--vault", synced, "--bet", "auth-login")
    assert [r["session"] for r in json.loads(out)["rows"]] == ["s-auth"]
    code, out, _ = run(capsys, "export", "--csv", "--vault", synced, "--bet", "dark-mode")
    assert out == ",".join(COLUMNS) + "\n"


def test_bad_filters_are_clean_errors(capsys, synced):
    code, out, err = run(capsys, "export", "--csv", "--vault", synced, "--bet", "nope")
    assert (code, out) == (1, "")
    assert err.startswith("unknown bet `nope`")
    args = ("--since", "2026-11-05", "--until", "2026-11-01")
    code, _, err = run(capsys, "export", "--json", "--vault", synced, *args)
    assert code == 1
    assert "swap them" in err
