"""Text from logs, escaped for every format it reaches: `limits.md`, rendered markdown, CSV,
the terminal."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC
from datetime import datetime

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log
from tests.test_plans import limit_line
from tokenbook import escape
from tokenbook.limits import LimitRecord
from tokenbook.limits import format_limits
from tokenbook.limits import read_limits

NASTY = "a|b\nc<script>x</script>\\|**bold** `tick` ~~s~~ [[link]] \x1b[31m\u2028 \u202e "
any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=16)


def test_a_hostile_session_id_in_a_usage_limit_line_is_written_escaped(capsys, vault, logs):
    """Fixed: the id was written raw into limits.md, and every later sync then failed."""
    reset = datetime(2026, 11, 3, 15, tzinfo=UTC)
    write_log(logs, "p/a.jsonl", [limit_line(1, "2026-11-03T12:00:00.000Z", reset, NASTY)])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    text = (vault / "limits.md").read_text(encoding="utf-8")
    [row] = [ln for ln in text.split("\n") if ln.startswith("| 2026-11-03T12")]
    assert row == (
        "| 2026-11-03T12:00:00Z | 2026-11-03T15:00:00Z | "
        "a\\|b\\u000ac\\<script\\>x\\</script\\>\\\\\\|\\*\\*bold\\*\\* \\`tick\\` \\~\\~s\\~\\~ "
        "\\[\\[link\\]\\] \\u001b\\[31m\\u2028 \\u202e\\u0020 |"
    )
    records, problems = read_limits(vault)
    assert problems == []
    assert NASTY in [r.session for r in records]
    before = snapshot(vault)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert run(capsys, "check", "--vault", vault)[0] == 0
    assert snapshot(vault) == before


@settings(max_examples=200, deadline=None)
@given(session=any_text)
def test_any_session_id_round_trips_through_limits_md(tmp_path_factory, session):
    at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    record = LimitRecord(at=at, session=session, reset_at=at)
    text = format_limits([record])
    assert text.count("\n") == len(text.encode("utf-8").splitlines())  # one line per row
    root = tmp_path_factory.mktemp("limits")
    (root / "limits.md").write_text(text, encoding="utf-8")
    assert read_limits(root) == ([record], [])


MARKDOWN = "**b** __u__ `c` ~~s~~ <b>h</b> | [[w]] ==hl== $m$ %%c%% #tag"


def test_markup_from_logs_renders_as_text(capsys, vault, logs):
    line = assistant("m-1", model=f"model {MARKDOWN}", cwd=f"/p/{MARKDOWN}", session=MARKDOWN)
    write_log(logs, "p/a.jsonl", [line])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    dashboard = (vault / "cost-dashboard.md").read_text(encoding="utf-8")
    inert = (
        "\\*\\*b\\*\\* \\_\\_u\\_\\_ \\`c\\` \\~\\~s\\~\\~ \\<b\\>h\\</b\\> \\| \\[\\[w\\]\\] "
        "\\=\\=hl\\=\\= \\$m\\$ \\%\\%c\\%\\% \\#tag"
    )
    assert f"| model {inert} |" in dashboard  # by model
    assert f"| /p/{inert} |" in dashboard  # by project
    assert f"| {inert} | auth-login |" in dashboard  # top sessions: no code span to break
    unescaped = re.compile(r"(?<!\\)(\*\*|`c|~~|<b>|\[\[w|==|\$m|%%)")
    for text in [dashboard, *((p.read_text("utf-8")) for p in (vault / "progress").glob("*"))]:
        for row in text.split("\n"):
            if MARKDOWN[:4] in row or "b\\*\\*" in row:
                assert not unescaped.search(row), row


def test_plain_ids_keep_their_code_span():
    assert escape.code("0f1e-22aa_b.c:d/e@f+g") == "`0f1e-22aa_b.c:d/e@f+g`"
    assert escape.code("a`b") == "a\\`b"
    assert escape.code("") == ""


def test_csv_export_cells_cannot_run_as_spreadsheet_formulas(capsys, vault, logs):
    formulas = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    lines = [
        assistant(f"m-{i}", f"r-{i}", session=f, model=f, cwd=f, branch=f)
        for i, f in enumerate(formulas)
    ]
    write_log(logs, "p/a.jsonl", lines)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    code, out, _ = run(capsys, "export", "--csv", "--vault", vault)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["session"] for r in rows) == sorted("'" + f for f in formulas)
    for row in rows:
        for name in ("session", "model", "project", "branch"):
            assert row[name].startswith("'"), (name, row[name])
        assert not row["input"].startswith("'")  # numbers stay numbers
    # JSON keeps the exact values: it is data, not a spreadsheet.
    data = json.loads(run(capsys, "export", "--json", "--vault", vault)[1])
    assert sorted(r["session"] for r in data["rows"]) == sorted(formulas)


def test_terminal_output_shows_escape_sequences_as_text(capsys, vault, logs):
    session = "s\x1b]0;pwned\x07\x1b[2J\rX\x9b31m"
    write_log(logs, "p/a.jsonl", [assistant("m-1", session=session, model="m\x1b[31mred")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    for kind in ("session", "daily", "monthly"):
        code, out, err = run(capsys, "report", kind, "--breakdown", "--vault", vault)
        assert code == 0, err
        assert "\x1b" not in out + err
        assert "\r" not in out + err
        assert "\x9b" not in out + err
    assert "\\x1b[31mred" in run(capsys, "report", "daily", "--breakdown", "--vault", vault)[1]


def test_an_error_message_with_control_characters_is_printed_escaped(capsys, vault):
    (vault / "bets" / "x.md").write_text(
        '---\ncycle: "2026-11"\nappetite: 5%\n"evil\\e[2J\\r": 1\n---\n', encoding="utf-8"
    )
    code, _, err = run(capsys, "check", "--vault", vault)
    assert code == 1
    assert "\x1b" not in err
    assert "unknown key `evil\\x1b[2J\\x0d`" in err
