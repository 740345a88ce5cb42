"""A team's history at a modest size syncs, checks and renders correctly (not timed: the figures
for a year of a 20-person team come from `benchmarks/bench_scale.py`, which builds the same way).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import timedelta
from pathlib import Path

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_scale.py"
_spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
assert _spec is not None
assert _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # dataclasses look their module up
_spec.loader.exec_module(bench)


def test_a_team_history_syncs_checks_and_renders_exactly(capsys, tmp_path, logs):
    vault = tmp_path / "team"
    bench.write_plan_files(vault)
    built = bench.write_history(vault, people=4, days=25, sessions=2)
    assert built.rows > 200
    last = bench.working_days(25)[-1]
    # One more session on a bet branch, the day after the history ends.
    day = (last + timedelta(days=1)).isoformat()
    bet = f"{last:%Y-%m}-search"
    write_log(
        logs,
        "p/new.jsonl",
        [assistant("m-new", ts=f"{day}T09:00:00Z", session="new", branch=f"feature/{bet}-x")],
    )
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    code, out, err = run(capsys, "check", "--vault", vault)
    assert code == 0, err
    assert f"{built.rows + 1:,} ledger row(s)" in out

    totals = json.loads(run(capsys, "report", "monthly", "--json", "--vault", vault)[1])["totals"]
    assert totals["responses"] == built.responses + 1
    assert totals["total_tokens"] == built.tokens + 10 + 100 + 1000 + 5000
    assert "new" in (vault / "ledgers" / f"{bet}.md").read_text(encoding="utf-8")
    assert (vault / "progress" / f"{bet}.md").is_file()
    month = f"{last:%Y-%m}"
    assert f"[{month}](cycles/{month}.md)" in (vault / "cost-dashboard.md").read_text("utf-8")

    before = snapshot(vault)
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    assert run(capsys, "render", "--check", "--vault", vault)[0] == 0
    assert snapshot(vault) == before
