"""Every report kind on hand-made histories whose right answers are worked out here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tokenbook.pricing import PriceBook
from tokenbook.reports import BY
from tokenbook.reports import Filter
from tokenbook.reports import build_report
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

REPO = Path(__file__).resolve().parent.parent
OPUS = "claude-opus-4-5-20251101"  # $5 / $25 per million input / output tokens
SONNET = "claude-sonnet-4-5-20250929"  # $3 / $15
WEBAPP = "/home/dev/src/webapp"
PIPELINE = "/home/dev/work/data_pipeline"
SCRATCH = "/home/dev/scratch"
KINDS = ("daily", "weekly", "monthly", "session", "bet", "model", "project", "blocks")
USAGE_FIELDS = {
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "total_tokens",
    "web_search_requests",
    "responses",
    "cost_usd",
    "unpriced",
    "priced_usd",
    "unpriced_tokens",
    "unpriced_models",
}


def response(
    msg: str,
    ts: str,
    session: str,
    model: str = OPUS,
    input: int = 1000,
    output: int = 100,
    cwd: str = WEBAPP,
    branch: str = "main",
) -> dict[str, Any]:
    """One response with only input and output tokens, so costs are easy to work out."""
    return assistant(
        msg,
        f"req-{msg}",
        ts=ts,
        session=session,
        model=model,
        input=input,
        output=output,
        cache_write=0,
        cache_read=0,
        cwd=cwd,
        branch=branch,
    )


def usd(input: int, output: int, model: str = OPUS) -> Decimal:
    rates = {OPUS: (5, 25), SONNET: (3, 15)}[model]
    return (input * Decimal(rates[0]) + output * Decimal(rates[1])) / 1_000_000


def set_timezone(vault: Path, tz: str) -> None:
    settings = vault / "tokenbook.md"
    settings.write_text(
        settings.read_text().replace("timezone: UTC", f"timezone: {tz}"), encoding="utf-8"
    )


def sync(capsys: Any, vault: Path, logs: Path) -> None:
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs, "--no-render")
    problems = [ln for ln in err.splitlines() if "is in no cycle" not in ln]
    assert (code, problems) == (0, []), err


OUTCOME_FIELDS = {
    "commits",
    "files_changed",
    "lines_added",
    "lines_removed",
    "changed_lines",
    "deliverables_done",
    "null_reasons",
    "outcome",
    *(
        f"{m}_per_{u}"
        for m in ("usd", "priced_usd", "tokens")
        for u in ("changed_line", "commit", "deliverable")
    ),
}


def table(capsys: Any, vault: Path, kind: str, *extra: str) -> list[str]:
    code, out, err = run(capsys, "report", kind, "--vault", vault, *extra)
    assert (code, err) == (0, ""), err
    lines = out.rstrip("\n").split("\n")
    assert max(map(len, lines)) <= 100, out
    return lines


def row_of(lines: list[str], label: str) -> list[str]:
    (found,) = [ln.split() for ln in lines if ln.startswith(label)]
    return found


# ------------------------------------------------------------------- a week-spanning history

# In America/New_York (UTC-5 in November after DST ended on Nov 1):
#   a1 Sat 2026-10-31 23:30  webapp/feature/auth-login, before the cycle     -> unassigned
#   b1 Sun 2026-11-08 23:30  webapp/feature/auth-login (opus)                -> auth-login
#   b2 Mon 2026-11-09 00:30  webapp/feature/auth-login (sonnet)              -> auth-login
#   c1 Sun 2026-11-15 23:59  data_pipeline (sonnet)                          -> data-pipeline
#   c2 Mon 2026-11-16 00:00  data_pipeline (opus)                            -> data-pipeline
#   d1 Fri 2027-01-01 10:00  scratch, no cycle                               -> unassigned
HISTORY = [
    ("a1", "2026-11-01T03:30:00Z", "s-oct", OPUS, 1000, 100, WEBAPP, "feature/auth-login"),
    ("b1", "2026-11-09T04:30:00Z", "s-auth", OPUS, 2000, 200, WEBAPP, "feature/auth-login"),
    ("b2", "2026-11-09T05:30:00Z", "s-auth", SONNET, 3000, 300, WEBAPP, "feature/auth-login"),
    ("c1", "2026-11-16T04:59:00Z", "s-pipe", SONNET, 4000, 400, PIPELINE, "main"),
    ("c2", "2026-11-16T05:00:00Z", "s-pipe", OPUS, 5000, 500, PIPELINE, "main"),
    ("d1", "2027-01-01T15:00:00Z", "s-new", OPUS, 6000, 600, SCRATCH, "main"),
]
COST = {h[0]: usd(h[4], h[5], h[3]) for h in HISTORY}


@pytest.fixture
def history(capsys: Any, vault: Path, logs: Path) -> Path:
    set_timezone(vault, "America/New_York")
    write_log(logs, "p/h.jsonl", [response(*h) for h in HISTORY])
    sync(capsys, vault, logs)
    return vault


def labels(got: dict[str, Any], key: str) -> list[str]:
    return [r[key] for r in got["rows"]]


def inputs(got: dict[str, Any]) -> list[int]:
    return [r["input_tokens"] for r in got["rows"]]


def test_daily_days_are_local_to_the_vault_timezone(capsys, history):
    got = report(capsys, history, "daily")
    assert labels(got, "date") == [
        "2026-10-31",
        "2026-11-08",
        "2026-11-09",
        "2026-11-15",
        "2026-11-16",
        "2027-01-01",
    ]
    assert inputs(got) == [1000, 2000, 3000, 4000, 5000, 6000]
    assert got["totals"]["input_tokens"] == 21000
    assert Decimal(got["totals"]["cost_usd"]) == sum(COST.values())


def test_weekly_weeks_start_on_monday_in_the_vault_timezone(capsys, history):
    got = report(capsys, history, "weekly")
    assert labels(got, "week") == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-12-28",
    ]
    assert labels(got, "iso_week") == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W53"]
    # Sunday 23:30 New York (Monday in UTC) is still week 45; Sunday 23:59 is still week 46.
    assert inputs(got) == [1000, 2000, 3000 + 4000, 5000, 6000]
    assert Decimal(got["rows"][2]["cost_usd"]) == COST["b2"] + COST["c1"]
    assert list(got["rows"][2]["models"]) == [SONNET]
    lines = table(capsys, history, "weekly")
    assert lines[0].split()[0] == "Week"
    assert row_of(lines, "2026-11-09")[:3] == ["2026-11-09", "(W46)", "7,000"]


def test_monthly_months_are_local_too(capsys, history):
    got = report(capsys, history, "monthly")
    assert labels(got, "month") == ["2026-10", "2026-11", "2027-01"]
    assert inputs(got) == [1000, 2000 + 3000 + 4000 + 5000, 6000]


def test_bet_report_includes_unassigned(capsys, history):
    got = report(capsys, history, "bet")
    assert labels(got, "bet") == ["auth-login", "data-pipeline", "unassigned"]
    assert inputs(got) == [5000, 9000, 7000]
    assert [r["responses"] for r in got["rows"]] == [2, 2, 2]
    assert Decimal(got["rows"][2]["cost_usd"]) == COST["a1"] + COST["d1"]
    assert report(capsys, history, "bet", "--bet", "unassigned")["rows"] == got["rows"][2:]


def test_model_report(capsys, history):
    got = report(capsys, history, "model")
    assert labels(got, "model") == [OPUS, SONNET]
    assert inputs(got) == [1000 + 2000 + 5000 + 6000, 3000 + 4000]
    assert [list(r["models"]) for r in got["rows"]] == [[OPUS], [SONNET]]
    assert Decimal(got["rows"][1]["cost_usd"]) == COST["b2"] + COST["c1"]


def test_project_report_and_the_project_filter(capsys, history):
    got = report(capsys, history, "project")
    assert labels(got, "project") == [SCRATCH, WEBAPP, PIPELINE]
    assert inputs(got) == [6000, 1000 + 2000 + 3000, 9000]
    webapp = report(capsys, history, "daily", "--project", "*/webapp")
    assert labels(webapp, "date") == ["2026-10-31", "2026-11-08", "2026-11-09"]
    assert webapp["totals"]["input_tokens"] == 6000
    only = report(capsys, history, "project", "--project", "/home/dev/work/*")
    assert labels(only, "project") == [PIPELINE]
    both = report(capsys, history, "bet", "--project", "*/webapp", "--bet", "unassigned")
    assert inputs(both) == [1000]
    assert report(capsys, history, "model", "--project", "nowhere")["rows"] == []


def test_since_and_until_are_inclusive_local_days(capsys, history):
    got = report(capsys, history, "daily", "--since", "2026-11-08", "--until", "2026-11-15")
    assert labels(got, "date") == ["2026-11-08", "2026-11-09", "2026-11-15"]
    weekly = report(capsys, history, "weekly", "--since", "2026-11-09")
    assert labels(weekly, "week") == ["2026-11-09", "2026-11-16", "2026-12-28"]
    assert inputs(weekly) == [7000, 5000, 6000]
    bets = report(capsys, history, "bet", "--until", "2026-11-09")
    assert inputs(bets) == [5000, 1000]


def test_session_json_keeps_its_fields(capsys, history):
    got = report(capsys, history, "session")
    assert labels(got, "session") == ["s-oct", "s-auth", "s-pipe", "s-new"]
    auth = got["rows"][1]
    assert auth["first"] == "2026-11-09T04:30:00Z"
    assert auth["last"] == "2026-11-09T05:30:00Z"
    assert auth["bets"] == ["auth-login"]
    assert auth["projects"] == [WEBAPP]


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("daily", "date"),
        ("weekly", "week"),
        ("monthly", "month"),
        ("session", "session"),
        ("bet", "bet"),
        ("model", "model"),
        ("project", "project"),
    ],
)
def test_json_field_names(capsys, history, kind, key):
    got = report(capsys, history, kind)
    extra = {
        "weekly": {"iso_week"},
        "session": {"first", "last", "bets", "projects"},
        "bet": OUTCOME_FIELDS,
    }.get(kind, set())
    for row in got["rows"]:
        assert set(row) == {key, "models"} | USAGE_FIELDS | extra
        for model in row["models"].values():
            assert set(model) == USAGE_FIELDS
    assert set(got) == {"rows", "totals"}
    assert set(got["totals"]) == USAGE_FIELDS | {"models"}
    assert got["totals"]["input_tokens"] == 21000


def test_breakdown_adds_a_line_per_model_under_each_row(capsys, history):
    plain = table(capsys, history, "bet")
    lines = table(capsys, history, "bet", "--breakdown")
    assert len(lines) == len(plain) + 5  # auth-login 2 models, data-pipeline 2, unassigned 1
    i = next(i for i, ln in enumerate(lines) if ln.startswith("auth-login"))
    assert lines[i].split()[1] == "5,000"
    assert lines[i + 1].split()[:2] == [OPUS, "2,000"]
    assert lines[i + 2].split()[:2] == [SONNET, "3,000"]
    assert lines[i + 1].startswith("  ")
    assert row_of(lines, "Total")[:2] == ["Total", "21,000"]
    assert report(capsys, history, "bet", "--breakdown") == report(capsys, history, "bet")


def test_rows_are_priced_once_at_most(capsys, history, monkeypatch):
    calls = []
    price = PriceBook.price
    monkeypatch.setattr(PriceBook, "price", lambda self, row: calls.append(row) or price(self, row))
    report(capsys, history, "weekly")
    assert len(calls) == len(HISTORY)  # six rows, no two alike in what their price depends on
    calls.clear()
    report(capsys, history, "monthly")
    assert len(calls) == len(HISTORY)


@pytest.mark.parametrize("kind", sorted(BY))
def test_costs_equal_pricing_every_row_alone(kind):
    """Rows that share date, model, speed, region and band are summed before pricing: the
    result must be exactly the sum of row-by-row prices, unpriced parts included."""
    vault = load_vault(REPO / "vault")
    ledgers = load_ledgers(vault)
    book = PriceBook(vault)
    got = build_report(kind, ledgers, book, Filter())
    want: dict[str, tuple[Decimal, set[str], int]] = {}
    for placed in ledgers.rows.values():
        label = BY[kind][1](placed)
        usd, reasons, tokens = want.get(label, (Decimal(0), set(), 0))
        priced = book.price(placed.row)
        if priced.usd is None:
            reasons, tokens = reasons | {priced.unpriced}, tokens + placed.row.tokens.total
        else:
            usd += priced.usd
        want[label] = (usd, reasons, tokens)
    assert {
        b.label: (b.usage.priced_usd, b.usage.unpriced, b.usage.unpriced_tokens)
        for b in got.buckets
    } == want
    assert got.totals.usage.priced_usd == sum(w[0] for w in want.values())
    assert any(w[1] for w in want.values())  # the example vault has unpriced usage


@pytest.mark.parametrize("kind", KINDS)
def test_every_table_fits_100_columns(capsys, vault, logs, kind):
    long_cwd = "/home/dev/" + "/".join(["a-rather-long-folder-name"] * 6) + "/tail-project"
    big = 99_999_999  # the most one response may carry
    write_log(
        logs,
        "p/big.jsonl",
        [
            response(
                f"m{i}-{j}",
                f"2026-11-0{3 + i}T10:{j:02d}:00Z",
                f"{i}f2c1b7e-1111-4222-8333-44445555666{i}",
                model=[OPUS, SONNET][i % 2],
                input=big,
                output=big,
                cwd=long_cwd,
            )
            for i in range(3)
            for j in range(40)
        ],
    )
    sync(capsys, vault, logs)
    for extra in ((), ("--breakdown",)):
        lines = table(capsys, vault, kind, "--now", "2026-11-05T12:00:00Z", *extra)
        (total,) = [ln.split() for ln in lines if ln.startswith("Total")]
        # Sessions add date, project and models: 11-digit counts no longer fit in full.
        whole = "12.0B" if kind == "session" else f"{120 * big:,}"
        assert total[1:3] == [whole] * 2
    if kind == "project":
        assert lines[2].startswith("…")
        assert lines[2].split()[0].endswith("/tail-project")


# ---------------------------------------------------------------------------------- blocks

# UTC vault. Session A: 08:20, 10:59, 12:59:59 and 13:00 on Nov 3 -> blocks 08:00 and 13:00
# (a response at the block's end starts the next block). Session B: 22:40 Nov 3 and 01:30 Nov 4
# -> one block 22:00-03:00 across midnight. Session C: 03:05 Nov 4 -> block 03:00, active at
# 04:30: 90 minutes so far with 90,000 tokens and $1.05.
BLOCK_A = [
    ("a1", "2026-11-03T08:20:00Z", 1000, 100),
    ("a2", "2026-11-03T10:59:00Z", 2000, 200),
    ("a3", "2026-11-03T12:59:59Z", 3000, 300),
    ("a4", "2026-11-03T13:00:00Z", 4000, 400),
]
BLOCK_B = [("b1", "2026-11-03T22:40:00Z", 5000, 500), ("b2", "2026-11-04T01:30:00Z", 6000, 600)]
BLOCK_C = [("c1", "2026-11-04T03:05:00Z", 60_000, 30_000)]
NOW = "2026-11-04T04:30:00Z"


@pytest.fixture
def blocky(capsys: Any, vault: Path, logs: Path) -> Path:
    for session, spec in (("A", BLOCK_A), ("B", BLOCK_B), ("C", BLOCK_C)):
        lines = [response(m, ts, f"sess-{session}", input=i, output=o) for m, ts, i, o in spec]
        write_log(logs, f"p/{session}.jsonl", lines)
    sync(capsys, vault, logs)
    return vault


def blocks(capsys: Any, vault: Path, logs: Path, *extra: str) -> dict[str, Any]:
    return report(capsys, vault, "blocks", "--logs", logs, "--now", NOW, *extra)


def test_blocks_from_the_logs(capsys, blocky, logs):
    got = blocks(capsys, blocky, logs)
    assert [(r["start"], r["end"]) for r in got["rows"]] == [
        ("2026-11-03T08:00:00Z", "2026-11-03T13:00:00Z"),
        ("2026-11-03T13:00:00Z", "2026-11-03T18:00:00Z"),
        ("2026-11-03T22:00:00Z", "2026-11-04T03:00:00Z"),
        ("2026-11-04T03:00:00Z", "2026-11-04T08:00:00Z"),
    ]
    assert inputs(got) == [6000, 4000, 11000, 60_000]
    assert [r["responses"] for r in got["rows"]] == [3, 1, 2, 1]
    assert [r["first"] for r in got["rows"]][:1] == ["2026-11-03T08:20:00Z"]
    assert got["rows"][0]["last"] == "2026-11-03T12:59:59Z"
    assert got["rows"][2]["last"] == "2026-11-04T01:30:00Z"
    assert [r["source"] for r in got["rows"]] == ["logs"] * 4
    assert [r["active"] for r in got["rows"]] == [False, False, False, True]
    assert Decimal(got["rows"][2]["cost_usd"]) == usd(11000, 1100)
    assert got["totals"] == report(capsys, blocky, "daily")["totals"]
    assert "burn_rate" not in got["rows"][0]


def test_active_block_burn_rate_and_projection(capsys, blocky, logs):
    active = blocks(capsys, blocky, logs)["rows"][-1]
    assert usd(60_000, 30_000) == Decimal("1.05")
    # 90,000 tokens in the 90 minutes since 03:00: 1,000/min and $0.70/hour; 210 minutes left.
    assert active["burn_rate"] == {
        "elapsed_minutes": 90,
        "tokens_per_minute": 1000,
        "usd_per_hour": "0.7",
        "remaining_minutes": 210,
        "projected_total_tokens": 300_000,
        "projected_cost_usd": "3.5",
        "unpriced_tokens": 0,
    }
    lines = table(capsys, blocky, "blocks", "--logs", logs, "--now", NOW)
    assert row_of(lines, "2026-11-04 03:00")[2] == "*"
    assert "* active block 2026-11-04 03:00 to 08:00: now 2026-11-04 04:30, 3h 30m left" in lines
    assert "  burn rate: 1,000 tokens/min, $0.70/hour" in lines
    assert "  projected at 08:00: 300,000 tokens, $3.50" in lines


def test_no_active_block_after_the_last_one_ends(capsys, blocky, logs):
    got = blocks(capsys, blocky, logs, "--now", "2026-11-04T08:00:00Z")
    assert not any(r["active"] for r in got["rows"])
    lines = table(capsys, blocky, "blocks", "--logs", logs, "--now", "2026-11-04T08:00")
    assert "No active block at 2026-11-04 08:00." in lines


def test_blocks_fall_back_to_ledger_rows_when_the_logs_are_gone(capsys, blocky, tmp_path):
    empty = tmp_path / "empty"
    (empty / "projects").mkdir(parents=True)
    got = blocks(capsys, blocky, empty)
    # Session A's Nov 3 row (08:20 to 13:00) counts whole at 08:20: one block, not two.
    assert [r["start"][11:16] for r in got["rows"]] == ["08:00", "22:00", "03:00"]
    assert inputs(got) == [10000, 11000, 60_000]
    assert got["rows"][0]["last"] == "2026-11-03T13:00:00Z"
    assert [r["source"] for r in got["rows"]] == ["ledgers"] * 3
    assert got["totals"] == report(capsys, blocky, "daily")["totals"]
    lines = table(capsys, blocky, "blocks", "--logs", empty, "--now", NOW)
    assert row_of(lines, "2026-11-03 08:00")[2] == "~"
    assert any(ln.startswith("~ estimated from ledger rows") for ln in lines)


def test_blocks_mix_old_ledger_rows_with_recent_logs_and_unsynced_usage(
    capsys, blocky, logs, vault
):
    (logs / "projects" / "p" / "A.jsonl").unlink()
    write_log(logs, "p/D.jsonl", [response("d1", "2026-11-04T04:00:00Z", "sess-D", input=7)])
    got = blocks(capsys, blocky, logs)
    assert [r["source"] for r in got["rows"]] == ["ledgers", "logs", "logs"]
    assert inputs(got) == [10000, 11000, 60_007]  # sess-D is not synced yet but counts
    assert got["rows"][-1]["responses"] == 2
    synced = report(capsys, blocky, "daily")["totals"]["input_tokens"]
    assert got["totals"]["input_tokens"] == synced + 7


def test_a_ledger_row_with_more_responses_than_the_logs_wins(capsys, blocky, logs):
    msg, ts, input, output = BLOCK_B[1]
    write_log(logs, "p/B.jsonl", [response(msg, ts, "sess-B", input=input, output=output)])
    got = blocks(capsys, blocky, logs)
    # The Nov 3 part of session B is gone from the logs: its ledger row stands in for it.
    assert [r["source"] for r in got["rows"]] == ["logs", "logs", "logs+ledgers", "logs"]
    assert inputs(got) == [6000, 4000, 11000, 60_000]


def test_blocks_across_midnight_in_the_vault_timezone(capsys, blocky, logs):
    set_timezone(blocky, "America/New_York")
    # Ledgers record their timezone; this vault is re-synced from scratch in the new one.
    for ledger in (blocky / "ledgers").glob("*.md"):
        ledger.unlink()
    sync(capsys, blocky, logs)
    lines = table(capsys, blocky, "blocks", "--logs", logs, "--now", NOW)
    # 22:00-03:00 UTC is 17:00-22:00 in New York; 03:00 UTC is 22:00 the day before.
    assert row_of(lines, "2026-11-03 17:00")[2] == "11,000"
    assert row_of(lines, "2026-11-03 22:00")[2:4] == ["*", "60,000"]
    assert "Blocks are America/New_York times" in lines[-1]
    got = blocks(capsys, blocky, logs, "--since", "2026-11-03", "--until", "2026-11-03")
    assert [r["start"] for r in got["rows"]][-1] == "2026-11-04T03:00:00Z"  # local Nov 3


def test_blocks_filters_narrow_the_usage_not_the_windows(capsys, blocky, logs):
    got = blocks(capsys, blocky, logs, "--since", "2026-11-04")
    assert inputs(got) == [60_000]  # the block that started on Nov 3 is left out whole
    write_log(
        logs,
        "p/E.jsonl",
        [response("e1", "2026-11-03T09:00:00Z", "sess-E", input=5, cwd="/home/dev/other")],
    )
    other = blocks(capsys, blocky, logs, "--project", "*/other")
    assert [(r["start"], r["input_tokens"]) for r in other["rows"]] == [("2026-11-03T08:00:00Z", 5)]


def test_now_must_be_a_time(capsys, vault):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "report", "blocks", "--vault", vault, "--now", "soon")
    assert exit_.value.code == 2
    assert "'soon' is not a time" in capsys.readouterr().err


# ------------------------------------------------------------------------------- the README


def readme_examples() -> list[tuple[str, str]]:
    """(command, output) pairs from the examples in docs/reports.md."""
    text = (REPO / "docs/reports.md").read_text(encoding="utf-8")
    section = text.split("\n## Examples\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("\n```\n", 2)[1]
    pairs = []
    for chunk in ("\n" + block).split("\n$ ")[1:]:
        command, _, output = chunk.partition("\n")
        pairs.append((command, output.rstrip("\n")))
    return pairs


def test_readme_examples_are_real_output(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("COLUMNS", raising=False)
    examples = readme_examples()
    assert {c.split()[2] for c, _ in examples} == set(KINDS)
    for command, output in examples:
        args = [a.strip("'") for a in command.split()[1:]]
        code, out, err = run(capsys, *args)
        assert (code, err) == (0, ""), command
        assert out.rstrip("\n") == output, command
