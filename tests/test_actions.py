"""`tokenbook report command|skill|agent|run` and `--breakdown agent|run|command|skill`: the
records of transcripts written from the documented shapes, labelled by the attribution rule and
written as ledger records (format 2), against totals counted by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import report
from tests.helpers import run
from tests.turn_fixtures import write_project
from tokenbook.events import Tokens
from tokenbook.recordfile import format_records
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import ms
from tokenbook.records import record_id
from tokenbook.sources import claude_code
from tokenbook.sources import claude_scan
from tokenbook.sources.claude_resolve import resolve
from tokenbook.sources.claude_turns import labels

# Every response has input 1 and the output of tests/turn_fixtures.py; by hand:
# label → (responses, output tokens)
COMMANDS = {
    "(no command)": (18, 755),  # m1 m2 m5-m8 m14 m16 m17, g1-g4, n1, w1, h1, o1, k1
    "/deploy": (7, 285),  # m11 m12 m13 m15, the forked f1 f2, the background b1
    "/init": (4, 90),  # m3 m4 and the Explore agent x1 x2
    "/review": (2, 193),  # q1 (headless), o2 (1.0.24, name-first)
    "/review-helper": (2, 39),  # m9 m10
}
SKILLS = {
    "(no skill)": (21, 928),
    "code-review": (2, 123),  # the forked skill's subagent
    "pdf": (5, 134),  # m6 m7 m8 after the Skill call, g1 g2 in the agent spawned under it
    "review-helper": (2, 39),  # typed `/review-helper`
    "xlsx": (3, 138),  # g3 g4 in that agent after its own Skill call, n1 spawned after it
}
AGENTS = {
    "Explore": (2, 63),
    "Plan": (1, 51),
    "general-purpose": (4, 170),  # no subagent_type in the call: the default
    "main": (22, 803),
    "subagent": (2, 123),  # the forked skill's agent: no type anywhere (no meta file)
    "test-runner": (1, 71),
    "warmup": (1, 81),
}
RUNS = {
    "(unknown)": (3, 276),  # the warmup, and 1.0.24 with no entrypoint
    "background": (1, 99),
    "headless": (2, 186),  # sdk-cli; a bare dequeue before entrypoint existed
    "interactive": (26, 775),
    "scheduled": (1, 26),
}


def labelled_records(config: Path) -> list[Rec]:
    """What sync will record once it calls the labels: the scanner's records, labelled."""
    files = sorted(claude_code.discover([config]))
    dedup = claude_code.Deduper()
    for path in files:
        dedup.join(claude_scan.scan(str(path)).responses)
    main = [labels(p) for p in files if not p.name.startswith("agent-")]
    subs = [labels(p) for p in files if p.name.startswith("agent-")]
    found = {}
    for m in main:
        found |= resolve(m, subs)
    found |= resolve(None, [s for s in subs if s.warmup])
    out = []
    for key, record in dedup.responses.items():
        rec = claude_code.to_rec(key, record, {})
        lab = found[key]
        agent = "" if rec.ctx.main else lab.agent
        ctx = replace(rec.ctx, command=lab.command, skill=lab.skill, run=lab.run, agent=agent)
        out.append(replace(rec, ctx=ctx))
    return out


@pytest.fixture
def labelled_vault(vault: Path, tmp_path: Path) -> Path:
    write_project(tmp_path / "claude")
    records = labelled_records(tmp_path / "claude")
    (vault / "ledgers").mkdir()
    (vault / "ledgers" / "unassigned.tsv").write_text(format_records(records), encoding="utf-8")
    return vault


def counts(result: dict[str, Any], column: str) -> dict[str, tuple[int, int]]:
    return {r[column]: (r["responses"], r["output_tokens"]) for r in result["rows"]}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("command", COMMANDS), ("skill", SKILLS), ("agent", AGENTS), ("run", RUNS)],
)
def test_each_label_gets_the_responses_counted_by_hand(capsys, labelled_vault, kind, expected):
    result = report(capsys, labelled_vault, kind)
    assert counts(result, kind) == expected
    assert result["totals"]["responses"] == 33
    assert result["totals"]["output_tokens"] == 1362
    assert result["totals"]["input_tokens"] == 33


@pytest.mark.parametrize("kind", ["command", "skill", "agent", "run"])
def test_totals_and_cost_equal_the_other_reports(capsys, labelled_vault, kind):
    daily = report(capsys, labelled_vault, "daily")["totals"]
    assert report(capsys, labelled_vault, kind)["totals"] == daily
    assert daily["cost_usd"] is not None


def test_a_row_costs_what_its_responses_cost(capsys, labelled_vault):
    """Sonnet 4.5 at $3 input, $15 output per million: /init is 4 x 1 input and 90 output."""
    rows = {r["command"]: r for r in report(capsys, labelled_vault, "command")["rows"]}
    assert rows["/init"]["cost_usd"] == "0.001362"  # (4 x 3 + 90 x 15) / 1e6
    assert rows["/init"]["models"]["claude-sonnet-4-5-20250929"]["responses"] == 4


def test_breakdown_splits_rows_by_agent_or_run(capsys, labelled_vault):
    result = report(capsys, labelled_vault, "command", "--breakdown", "agent")
    init = next(r for r in result["rows"] if r["command"] == "/init")
    assert {a: u["output_tokens"] for a, u in init["agents"].items()} == {"Explore": 63, "main": 27}
    daily = report(capsys, labelled_vault, "daily", "--breakdown", "run")
    assert {r: u["responses"] for r, u in daily["totals"]["runs"].items()} == {
        k: v[0] for k, v in RUNS.items()
    }
    skills = report(capsys, labelled_vault, "skill", "--breakdown", "command")
    pdf = next(r for r in skills["rows"] if r["skill"] == "pdf")
    assert set(pdf["commands"]) == {"(no command)"}


TABLE = """\
Command         Input  Output  Cache write  Cache read  Total   Cost
--------------  -----  ------  -----------  ----------  -----  -----
(no command)       18     755            0           0    773  $0.01
  (unknown)         2     178            0           0    180  $0.00
  background        1      99            0           0    100  $0.00
  headless          1      91            0           0     92  $0.00
  interactive      13     361            0           0    374  $0.01
  scheduled         1      26            0           0     27  $0.00
/deploy             7     285            0           0    292  $0.00
  interactive       7     285            0           0    292  $0.00
/review             2     193            0           0    195  $0.00
  (unknown)         1      98            0           0     99  $0.00
  headless          1      95            0           0     96  $0.00
/init               4      90            0           0     94  $0.00
  interactive       4      90            0           0     94  $0.00
/review-helper      2      39            0           0     41  $0.00
  interactive       2      39            0           0     41  $0.00
--------------  -----  ------  -----------  ----------  -----  -----
Total              33   1,362            0           0  1,395  $0.02
"""


def test_the_table_lists_the_costliest_first_with_parts_under_each_row(capsys, labelled_vault):
    code, out, err = run(
        capsys, "report", "command", "--vault", labelled_vault, "--breakdown", "run"
    )
    assert (code, err) == (0, "")
    assert out == TABLE


def test_blocks_have_no_other_breakdown_than_models(capsys, labelled_vault):
    code, _, err = run(capsys, "report", "blocks", "--vault", labelled_vault, "--breakdown", "run")
    assert code == 1
    assert "--breakdown run does not apply to blocks" in err


def test_filters_apply(capsys, labelled_vault):
    assert report(capsys, labelled_vault, "command", "--since", "2026-11-04")["rows"] == []
    only = report(capsys, labelled_vault, "skill", "--bet", "unassigned")
    assert counts(only, "skill") == SKILLS
    assert report(capsys, labelled_vault, "run", "--project", "*/nowhere")["rows"] == []


def test_migrated_rows_show_as_not_recorded(capsys, vault):
    ctx = Context(session="s9", model="claude-sonnet-4-5-20250929", command="/init", run="headless")
    rec = Rec(
        id=record_id("claude-code", "msg_9", "req_9"),
        ctx=ctx,
        at=ms(datetime(2026, 11, 3, 9, tzinfo=UTC)),
        tokens=Tokens(input=5, output=50),
    )
    (vault / "ledgers").mkdir()
    text = format_records([rec])
    legacy = (
        "l\t2026-11-02\told-session\tclaude-sonnet-4-5-20250929\tmain\tstandard\t\t0\t3\t1\t2\t0"
        "\t0\t0\t0\t0\t2026-11-02T09:00:00Z\t2026-11-02T09:10:00Z\t/home/dev/src/webapp\tmain"
    )
    (vault / "ledgers" / "unassigned.tsv").write_text(text + legacy + "\n", encoding="utf-8")
    result = report(capsys, vault, "command")
    assert counts(result, "command") == {"(not recorded)": (3, 2), "/init": (1, 50)}
    assert counts(report(capsys, vault, "agent"), "agent") == {"main": (4, 52)}


def test_export_splits_rows_by_action_type_and_name(capsys, labelled_vault):
    code, out, err = run(capsys, "export", "--json", "--vault", labelled_vault)
    assert (code, err) == (0, "")
    rows = json.loads(out)["rows"]
    actions: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["action_type"], r["action_name"])
        actions[key] = actions.get(key, 0) + r["output"]
    assert actions == {
        ("main", ""): 11 + 12 + 15 + 24 + 27 + 97 + 91 + 99,  # m1 m2 m5 m14 m17, o1, h1, k1
        ("main", "/init"): 13 + 14,
        ("main", "/deploy"): 21 + 22 + 23 + 25,
        ("main", "/review"): 95 + 98,
        ("scheduled", ""): 26,
        ("skill", "pdf"): 134,
        ("skill", "xlsx"): 138,
        ("skill", "review-helper"): 39,
        ("skill", "code-review"): 123,
        ("agent", "Explore"): 63,
        ("agent", "test-runner"): 71,
        ("agent", "warmup"): 81,
    }
    assert sum(r["responses"] for r in rows) == 33
    assert {r["cost_usd"] is not None for r in rows} == {True}
