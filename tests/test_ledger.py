"""Ledger text: exact round trips, row-local bytes, sorting, snapshot ranking, prompt bands."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tokenbook.events import Tokens
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import ParsedLedger
from tokenbook.ledger import format_ledger
from tokenbook.ledger import format_row
from tokenbook.ledger import parse_ledger
from tokenbook.ledger import prompt_band

HOSTILE = [
    "a|b",
    "back\\slash",
    "\\|",
    "ends with backslash\\",
    "\\n is not a newline",
    "line\nbreak",
    "cr\r\nlf",
    "tab\there",
    "<script>alert(1)</script>",
    "{{ jinja }}{% raw %}",
    "[[links]] and [md](x)",
    "| leading pipe",
    "trailing pipe |",
    "naïve 日本語 🚀 ﷽",
    "--- not a fence",
    "<<<<<<< not a conflict marker",
    "`code` *em* <!-- comment -->",
    "",
]


def row(session: str = "s", **changes: object) -> LedgerRow:
    base = LedgerRow(
        date=date(2026, 11, 3),
        session=session,
        model="claude-opus-4-5-20251101",
        agent="main",
        speed="standard",
        geo="",
        prompt_over=0,
        responses=2,
        tokens=Tokens(input=10, output=200, cache_write_5m=1000, cache_write_1h=0, cache_read=5000),
        web_search=1,
        web_fetch=0,
        first=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
        last=datetime(2026, 11, 3, 10, 5, tzinfo=UTC),
        project="/home/dev/src/webapp",
        branch="feature/auth-login",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def round_trip(tmp_path: Path, rows: list[LedgerRow]) -> tuple[str, ParsedLedger]:
    text = format_ledger("auth-login", "UTC", rows)
    path = tmp_path / "auth-login.md"
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_ledger(path, str(path), "UTC")
    assert isinstance(parsed, ParsedLedger), parsed
    return text, parsed


def hostile_rows() -> list[LedgerRow]:
    return [
        row(f"{i:02d}{value}", model=value, project=value, branch=value, agent=value, geo=value)
        for i, value in enumerate(HOSTILE)
    ]


def test_hostile_values_round_trip_byte_for_byte(tmp_path):
    rows = hostile_rows()
    text, parsed = round_trip(tmp_path, rows)
    assert sorted(parsed.rows, key=lambda r: r.key) == sorted(rows, key=lambda r: r.key)
    assert format_ledger("auth-login", "UTC", parsed.rows) == text


@pytest.mark.parametrize("value", HOSTILE)
def test_each_hostile_value_stays_on_its_own_line(tmp_path, value):
    text, parsed = round_trip(tmp_path, [row(value, project=value, branch=value)])
    assert parsed.rows == (row(value, project=value, branch=value),)
    assert len(text.split("\n")) == 16  # 14 lines of header, one row, the final newline
    assert text.split("\n")[14].startswith("| 2026-11-03 | ")


def test_a_rows_text_depends_only_on_that_row(tmp_path):
    rows = hostile_rows()
    before = format_ledger("auth-login", "UTC", rows).split("\n")
    extra = row("05zzz", model="other|model", responses=9)
    after = format_ledger("auth-login", "UTC", [*rows, extra]).split("\n")
    assert len(after) == len(before) + 1
    assert [ln for ln in after if ln != format_row(extra)] == before
    assert all(format_row(r) in after for r in rows)


def test_rows_are_sorted_by_key_whatever_the_input_order(tmp_path):
    rows = [
        row("b"),
        row("a", date=date(2026, 11, 4)),
        row("a"),
        row("a", model="claude-haiku-4-5"),
        row("a", prompt_over=200_000),
        row("a", prompt_over=100_000),
        row("a", agent="agent-1"),
    ]
    text = format_ledger("x", "UTC", rows)
    assert text == format_ledger("x", "UTC", reversed(rows))
    body = [ln for ln in text.split("\n") if ln.startswith("| 20")]
    assert body == [format_row(r) for r in sorted(rows, key=lambda r: r.key)]
    assert body[0].startswith("| 2026-11-03 | a | claude-haiku-4-5 |")
    assert body[-1].startswith("| 2026-11-04 | a |")
    bands = [ln.split(" | ")[6] for ln in body if " | claude-opus-4-5-20251101 | main | " in ln]
    assert bands[:3] == ["0", "100k", "200k"]


def test_rank_prefers_more_responses_then_more_tokens():
    few_big = row(responses=2, tokens=Tokens(output=10_000))
    many_small = row(responses=3, tokens=Tokens(output=1))
    assert many_small.rank() > few_big.rank()
    small = row(responses=3, tokens=Tokens(output=1))
    big = row(responses=3, tokens=Tokens(output=2))
    assert big.rank() > small.rank()
    assert row(web_search=2).rank() > row(web_search=1).rank()
    # Equal counts still order deterministically (by the row's text), never by input order.
    a, b = row(project="/a"), row(project="/b")
    assert (a.rank() < b.rank()) == (format_row(a) < format_row(b))


@pytest.mark.parametrize(
    ("prompt", "band"),
    [
        (0, 0),
        (100_000, 0),
        (100_001, 100_000),
        (200_000, 100_000),
        (200_001, 200_000),
        (272_000, 200_000),
        (272_001, 272_000),
        (5_000_000, 272_000),
    ],
)
def test_prompt_band_boundaries(prompt, band):
    assert prompt_band(prompt) == band


def test_prompt_band_text_round_trips(tmp_path):
    rows = [row(prompt_over=b) for b in (0, 100_000, 200_000)]
    text, parsed = round_trip(tmp_path, rows)
    assert [r.prompt_over for r in parsed.rows] == [0, 100_000, 200_000]
    assert [ln.split(" | ")[6] for ln in text.split("\n") if ln.startswith("| 20")] == [
        "0",
        "100k",
        "200k",
    ]


def test_sync_refuses_to_write_when_a_ledger_has_a_conflict_marker(capsys, vault, logs):
    write_log(logs, "p/s.jsonl", [assistant("m1", "r")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    path = vault / "ledgers/auth-login.tsv"
    lines = path.read_text().split("\n")
    lines[2:3] = ["<<<<<<< HEAD", lines[2], "=======", lines[2], ">>>>>>> other"]
    path.write_text("\n".join(lines))
    write_log(logs, "p/t.jsonl", [assistant("m9", "r", session="other", branch="main")])
    before = snapshot(vault)
    code, out, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{path}:{n}: git merge-conflict marker in a ledger; keep the rows of both sides, delete "
        "the marker lines, and add `ledgers/*.md merge=union` and `ledgers/*.tsv merge=union` to "
        ".gitattributes so git merges ledgers by itself"
        for n in (3, 5, 7)
    ]
    assert snapshot(vault) == before


@pytest.mark.parametrize(
    "value", [" lead", "trail ", "  ", "\xa0nbsp\u3000", "\x0bvt\x0c", "\\u0020"]
)
def test_edge_whitespace_survives_the_cell_padding(tmp_path, value):
    text, parsed = round_trip(tmp_path, [row(value, model=value, project=value, branch=value)])
    assert parsed.rows == (row(value, model=value, project=value, branch=value),)
    assert format_ledger("auth-login", "UTC", parsed.rows) == text


def test_hand_padded_cells_still_read(tmp_path):
    """An editor that re-aligns the table pads cells with spaces; values are unchanged."""
    text, _ = round_trip(tmp_path, [row("s|1", project="/p")])
    lines = text.split("\n")
    lines[14] = lines[14].replace(" | ", "   |   ").replace("| 2026", "|   2026")
    path = tmp_path / "auth-login.md"
    path.write_text("\n".join(lines))
    parsed = parse_ledger(path, str(path), "UTC")
    assert isinstance(parsed, ParsedLedger), parsed
    assert parsed.rows == (row("s|1", project="/p"),)


def test_migrated_rows_compare_under_the_bands_format_1_knew():
    """Format 1 wrote prompts over 272k as over 200k: records of such prompts must replace
    that migrated row, not count beside it."""
    from tokenbook.tally import history_key
    from tokenbook.tally import superseded

    key = (date(2026, 11, 3), "s", "gpt-5.4", "main", "standard", "")
    legacy = {("b", (*key, 200_000)): row(prompt_over=200_000, responses=2)}
    assert history_key((*key, 272_000)) == history_key((*key, 200_000))
    assert history_key((*key, 100_000)) != history_key((*key, 200_000))
    assert superseded(legacy, {history_key((*key, 272_000)): 2}) == set(legacy)
    assert superseded(legacy, {history_key((*key, 272_000)): 1}) == set()
