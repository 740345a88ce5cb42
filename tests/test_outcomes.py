"""Outcomes per bet from real git repositories: `report bet --json` against git's own
`git diff --shortstat` over the commits the rule names, and per-line figures by hand."""

from __future__ import annotations

import json
import random
import re
import shutil
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tests.outcome_history import NO_DATA_KINDS
from tests.outcome_history import Planned
from tests.outcome_history import Repo
from tests.outcome_history import generate
from tests.test_budgets import MODEL
from tokenbook.cli import main
from tokenbook.dashboard import build_dashboard
from tokenbook.outcome_text import yields_markdown
from tokenbook.outcomes import bet_outcomes
from tokenbook.status import bet_yields
from tokenbook.store import load_ledgers
from tokenbook.vault import load_vault

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SHORTSTAT = re.compile(
    r"(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?"
)


def shortstat(repo: Repo, commit: str) -> tuple[set[str], int, int]:
    """What `git diff --shortstat` (porcelain, renames found) says one commit changed."""
    parent = repo("rev-list", "--parents", "-n", "1", commit).split()[1:]
    before = parent[0] if parent else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # empty tree
    text = repo("diff", "--shortstat", "-M", before, commit).strip()
    names = set(repo("diff", "--name-only", "-M", before, commit).split())
    if not text:
        return names, 0, 0
    m = SHORTSTAT.fullmatch(text)
    assert m is not None, text
    assert int(m.group(1)) == len(names)
    return names, int(m.group(2) or 0), int(m.group(3) or 0)


def expected_figures(p: Planned) -> dict[str, int]:
    assert p.repo is not None
    assert p.expected is not None
    files: set[str] = set()
    added = removed = 0
    for commit in p.expected:
        names, a, r = shortstat(p.repo, commit)
        files |= names
        added, removed = added + a, removed + r
    return {
        "commits": len(p.expected),
        "files_changed": len(files),
        "lines_added": added,
        "lines_removed": removed,
    }


def synced(root: Path, seed: int, bets: int) -> tuple[Path, list[Planned]]:
    logs = root / "claude"
    (logs / "projects").mkdir(parents=True)
    vault, planned = generate(root, logs, seed=seed, bets=bets)
    assert main(["sync", "--quiet", "--vault", str(vault), "--logs", str(logs)]) == 0
    return vault, planned


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planned]]:
    """One generated history for the tests that only read it (12 bets, every kind)."""
    return synced(tmp_path_factory.mktemp("outcomes"), seed=7, bets=12)


def test_report_bet_equals_git_shortstat_over_the_rules_commits(capsys, history):
    vault, planned = history
    rows = {r["bet"]: r for r in report(capsys, vault, "bet")["rows"]}
    assert {p.kind for p in planned} >= {"branch", "merged", "main-merged-in", "worktree"}
    for p in planned:
        row = rows[p.bet]
        if p.kind in NO_DATA_KINDS:
            continue
        figures = {k: row[k] for k in ("commits", "files_changed", "lines_added", "lines_removed")}
        assert figures == expected_figures(p), p.kind
        assert row["outcome"]["data"] is True
        assert row["outcome"]["partial"] is False
        assert row["changed_lines"] == row["lines_added"] + row["lines_removed"]


def test_per_line_commit_and_deliverable_figures_equal_a_hand_computation(capsys, history):
    vault, planned = history
    rows = {r["bet"]: r for r in report(capsys, vault, "bet")["rows"]}
    six, two = Decimal("0.000001"), Decimal("0.01")
    checked = 0
    for p in planned:
        row = rows[p.bet]
        usd = Decimal(p.output_tokens) * 10 / 1_000_000  # $10 per million output tokens
        assert Decimal(row["cost_usd"]) == usd
        assert row["deliverables_done"] == p.done
        if p.done:
            assert Decimal(row["usd_per_deliverable"]) == (usd / p.done).quantize(
                six, ROUND_HALF_UP
            )
        else:
            assert row["usd_per_deliverable"] is None
            assert row["null_reasons"]["usd_per_deliverable"].startswith("no finished deliverable")
        if p.kind in NO_DATA_KINDS:
            continue
        lines = row["lines_added"] + row["lines_removed"]
        per_line = (usd / lines).quantize(six, ROUND_HALF_UP)
        assert Decimal(row["usd_per_changed_line"]) == per_line
        assert Decimal(row["priced_usd_per_changed_line"]) == per_line
        tokens = Decimal(p.output_tokens) / lines
        assert row["tokens_per_changed_line"] == float(tokens.quantize(two, ROUND_HALF_UP))
        per_commit = (usd / len(p.expected or [])).quantize(six, ROUND_HALF_UP)
        assert Decimal(row["usd_per_commit"]) == per_commit
        checked += 1
    assert checked >= 5


def test_no_outcome_data_is_null_with_its_reason_never_zero(capsys, history):
    vault, planned = history
    rows = {r["bet"]: r for r in report(capsys, vault, "bet")["rows"]}
    reasons = {
        "ff": "is on the default branch's own line (a fast-forward merge",
        "missing": "the project folder is not on this machine",
        "no-branch": "no branch recorded",
        "on-main": "main is the default branch",
    }
    for p in planned:
        if p.kind not in NO_DATA_KINDS:
            continue
        row = rows[p.bet]
        for key in ("commits", "files_changed", "lines_added", "lines_removed"):
            assert row[key] is None
            assert reasons[p.kind] in row["null_reasons"][key]
        assert row["usd_per_changed_line"] is None
        assert row["tokens_per_changed_line"] is None
        assert row["outcome"]["data"] is False
        assert reasons[p.kind] in row["outcome"]["note"]
    assert rows["unassigned"]["commits"] is None if "unassigned" in rows else True


def test_the_table_shows_outcomes_and_says_why_data_is_missing(capsys, history):
    vault, planned = history
    code, out, err = run(capsys, "report", "bet", "--vault", vault)
    assert code == 0, err
    assert "What the usage bought" in out
    table = out.split("What the usage bought", 1)[1]
    missing = next(p for p in planned if p.kind == "missing")
    assert f"{missing.bet}: the project folder is not on this machine" in table
    assert re.search(rf"^{missing.bet}\s+no outcome data", table, re.M)


def test_two_clones_of_the_vault_agree(capsys, history, tmp_path):
    vault, _ = history
    other = tmp_path / "clone"
    shutil.copytree(vault, other, ignore=shutil.ignore_patterns(".tokenbook*"))
    assert report(capsys, vault, "bet") == report(capsys, other, "bet")


@pytest.mark.parametrize("seed", [11, 23])
def test_other_histories_agree_with_git_too(tmp_path, seed, capsys):
    vault, planned = synced(tmp_path, seed=seed, bets=10)
    rows = {r["bet"]: r for r in report(capsys, vault, "bet")["rows"]}
    for p in planned:
        if p.kind not in NO_DATA_KINDS:
            keys = ("commits", "files_changed", "lines_added", "lines_removed")
            assert {k: rows[p.bet][k] for k in keys} == expected_figures(p), (seed, p.kind)


def test_a_place_without_data_makes_the_counts_floors(tmp_path, logs, capsys):
    """One bet, two branches: one in the repository, one deleted. The counts are what the
    first branch gives, marked as floors, with the reason for the other."""
    vault, planned = generate(tmp_path, logs, seed=3, bets=1)
    (p,) = planned
    assert p.repo is not None
    assert p.expected
    lines = [dict(line) for line in p.lines]
    for n, line in enumerate(lines):
        line["gitBranch"] = "feat/gone"
        line["message"] = dict(line["message"], id=f"gone-{n}")
        line["sessionId"] = "gone"
    write_log(logs, "p/gone.jsonl", lines)
    bet = vault / "bets" / "b0.md"
    bet.write_text(bet.read_text().replace('branch: "feat/b0"', 'branch: "feat/*"'))
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    (row,) = report(capsys, vault, "bet")["rows"]
    assert row["commits"] == len(p.expected)
    assert row["outcome"]["data"] is True
    assert row["outcome"]["partial"] is True
    assert row["outcome"]["note"] == (
        "feat/gone: branch feat/gone is not in the repository (deleted, or never fetched)"
    )
    places = {x["branch"]: x for x in row["outcome"]["places"]}
    assert places["feat/b0"]["commits"] == len(p.expected)
    assert places["feat/gone"]["commits"] is None
    out = run(capsys, "report", "bet", "--vault", vault)[1]
    assert re.search(rf"^b0\s+≥{len(p.expected)}\s", out.split("What the usage bought")[1], re.M)


def test_status_shows_each_bets_outcome(capsys, history):
    vault, planned = history
    rows = {r["bet"]: r for r in report(capsys, vault, "bet")["rows"]}
    as_of = ("--as-of", "2026-11-20", "--now", "2026-11-20T12:00:00Z")
    code, out, err = run(capsys, "status", "--json", "--vault", vault, *as_of)
    assert code == 0, err
    bets = {b["id"]: b for b in json.loads(out)["bets"]}
    for p in planned:
        got, want = bets[p.bet]["outcome"], rows[p.bet]
        assert {k: got[k] for k in got} == {k: want[k] for k in got}, p.bet
    code, text, err = run(capsys, "status", "--vault", vault, *as_of)
    assert code == 0, err
    first = next(p for p in planned if p.kind not in NO_DATA_KINDS)
    row = rows[first.bet]
    assert (
        f"outcome: {row['commits']} commit(s), {row['files_changed']} file(s), "
        f"+{row['lines_added']}/-{row['lines_removed']} lines; "
    ) in text
    missing = next(p for p in planned if p.kind == "missing")
    assert f"{missing.bet}" in text
    assert "outcome: no outcome data (the project folder is not on this machine)" in text


def test_diff_shows_what_the_branch_cost_and_changed(capsys, tmp_path, logs):
    """The vault lives in the project's repository; sessions ran on the PR's branch there."""
    rng = random.Random(5)
    repo = Repo(tmp_path / "proj", tmp_path / "git-home")
    start = datetime(2026, 11, 3, 9, tzinfo=UTC)
    repo.commit(start - timedelta(days=1), rng, only_add=True)
    budget = repo.path / "budget"
    shutil.copytree(generate(tmp_path / "gen", tmp_path / "gen-logs", seed=1, bets=1)[0], budget)
    repo("add", "-A")
    repo("commit", "-q", "-m", "vault", at=start - timedelta(hours=20))
    repo("checkout", "-q", "-b", "feat/x")
    commits = [repo.commit(start + timedelta(hours=h), rng) for h in (1, 2, 3)]
    line = assistant(
        "m1",
        "r1",
        ts="2026-11-03T10:30:00.000Z",
        session="s-x",
        model=MODEL,
        input=0,
        output=250_000,
        cache_write=0,
        cache_read=0,
        cwd=str(repo.path),
        branch="feat/x",
    )
    write_log(logs, "p/x.jsonl", [line])
    assert run(capsys, "sync", "--vault", budget, "--logs", logs)[0] == 0
    files: set[str] = set()
    added = removed = 0
    for c in commits:
        names, a, r = shortstat(repo, c)
        files, added, removed = files | names, added + a, removed + r
    lines = added + removed
    per_line = (Decimal("2.5") / lines).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    code, out, err = run(capsys, "diff", "main", "--vault", budget)
    assert (code, err) == (0, "")
    section = out.split("### This branch\n\n", 1)[1]
    assert section.splitlines()[:2] == [
        "`feat/x` cost $2.50 and 250,000 tokens in 1 session(s).",
        f"Since `main` it changed {len(files)} file(s), +{added}/-{removed} lines in 3 commit(s): "
        f"${per_line} and {Decimal(250_000) / lines:,.0f} tokens per changed line; "
        f"$0.8333 per commit.",
    ]
    repo("checkout", "-q", "--detach")
    out = run(capsys, "diff", "main", "--vault", budget)[1]
    assert "_HEAD is detached: give `--branch NAME` to see what the branch cost._" in out
    out = run(capsys, "diff", "main", "--vault", budget, "--branch", "feat/x")[1]
    assert "`feat/x` cost $2.50" in out


def test_the_dashboard_table_for_the_lead_to_render(history):
    vault, planned = history
    v = load_vault(vault)
    ledgers = load_ledgers(v)
    dash = build_dashboard(v, ledgers)
    table = yields_markdown(bet_yields(ledgers, dash.bets))
    assert table[0] == (
        "| Bet | Commits | Files | +Lines | -Lines | $/line | Tok/line | $/commit | Done | $/done |"
    )
    rows = {ln.split(" | ")[0][2:]: ln for ln in table[2:] if ln.startswith("| [[")}
    assert set(rows) == {f"[[{p.bet}]]" for p in planned}
    missing = next(p for p in planned if p.kind == "missing")
    assert rows[f"[[{missing.bet}]]"].startswith(f"| [[{missing.bet}]] | no outcome data |")
    assert any(ln.endswith(": the project folder is not on this machine") for ln in table)
    assert set(bet_outcomes(v, ledgers)) >= {p.bet for p in planned}


def test_a_session_that_moves_to_a_branch_brings_that_branch(capsys, tmp_path, logs):
    """One session starts on main and switches to feat/y: its ledger row names main (where it
    started that day), its later responses name feat/y, and the bet gets feat/y's commits."""
    rng = random.Random(9)
    repo = Repo(tmp_path / "proj", tmp_path / "git-home")
    start = datetime(2026, 11, 3, 9, tzinfo=UTC)
    repo.commit(start - timedelta(days=1), rng, only_add=True)
    repo("checkout", "-q", "-b", "feat/y")
    commits = [repo.commit(start + timedelta(hours=h), rng) for h in (1, 2)]
    vault, _ = generate(tmp_path / "gen", tmp_path / "gen-logs", seed=1, bets=1)
    bet = vault / "bets" / "b0.md"
    bet.write_text(bet.read_text().replace('match:\n  - branch: "feat/b0"\n', "sessions: [s-y]\n"))

    def line(n: int, hour: int, branch: str) -> dict[str, object]:
        ts = f"2026-11-03T{hour:02d}:00:00.000Z"
        return assistant(
            f"y{n}", f"r{n}", ts=ts, session="s-y", model=MODEL, cwd=str(repo.path), branch=branch
        )

    write_log(logs, "p/y.jsonl", [line(1, 9, "main"), line(2, 11, "feat/y"), line(3, 12, "feat/y")])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    (row,) = [r for r in report(capsys, vault, "bet")["rows"] if r["bet"] == "b0"]
    assert row["commits"] == 2
    expected = {
        "commits": 2,
        "lines_added": sum(shortstat(repo, c)[1] for c in commits),
        "lines_removed": sum(shortstat(repo, c)[2] for c in commits),
    }
    assert {k: row[k] for k in expected} == expected
    branches = {p["branch"]: p for p in row["outcome"]["places"]}
    assert set(branches) == {"main", "feat/y"}
    assert branches["main"]["note"].startswith("main is the default branch")
