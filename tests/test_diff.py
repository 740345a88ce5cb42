"""`tokenbook diff REV`: the budget at a git revision against the working tree, from real git."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log
from tests.test_git import Git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(capsys, vault, tmp_path) -> tuple[Git, Path, Path]:
    """A repository whose vault is the sub-folder `budget/`, committed with no usage yet."""
    git = Git(tmp_path / "git-home")
    top = tmp_path / "repo"
    git(tmp_path, "init", "-q", top)
    budget = top / "budget"
    shutil.copytree(vault, budget)
    assert run(capsys, "render", "--vault", budget)[0] == 0
    git.commit_all(top, "budget")
    return git, top, budget


def diff(capsys, budget: Path, rev: str) -> str:
    code, out, err = run(capsys, "diff", rev, "--vault", budget)
    assert (code, err) == (0, ""), err
    return out


def test_a_pr_shows_usage_sessions_alerts_and_prices(capsys, repo, logs):
    git, top, budget = repo
    # auth-login: appetite 40% of $30 = $12; 400,000 Opus 4.5 output tokens cost $10 (83%).
    write_log(
        logs,
        "p/a.jsonl",
        [assistant("m1", session="s-auth", output=400_000, cache_write=0, cache_read=0)],
    )
    assert run(capsys, "sync", "--vault", budget, "--logs", logs)[0] == 0
    manual = ("--bet", "cafe-ui", "--tokens", "600000", "--model", "claude-sonnet-4-5")
    when = ("--date", "2026-11-05", "--note", "ci")
    assert run(capsys, "log", "--vault", budget, *manual, *when)[0] == 0
    pricing = budget / "pricing" / "anthropic.md"
    text = pricing.read_text()
    assert "      - from: 2026-11-09\n        input: 8\n" in text
    pricing.write_text(
        text.replace("2026-11-09\n        input: 8\n", "2026-11-09\n        input: 7\n")
    )

    out = diff(capsys, budget, "HEAD")
    (session,) = [
        r["session"] for r in report(capsys, budget, "session", "--bet", "cafe-ui")["rows"]
    ]
    assert out == (
        "## Token budget since `HEAD`\n"
        "\n"
        "### Cycles\n"
        "\n"
        "| cycle | at `HEAD` | now | budget |\n"
        "| --- | --- | --- | --- |\n"
        "| [[2026-11]] | $0.00 · 0 tok | $11.80 · 1,000,010 tok | $30.00 / 40,000,000 tok |\n"
        "\n"
        "### Bets\n"
        "\n"
        "| bet | cycle | at `HEAD` | now | change | new sessions | new alerts |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| [[auth-login]] | [[2026-11]] | $0.00 · 0 tok · 0% | $10.00 · 400,010 tok · 83% "
        "| +$10.00 · +400,010 tok · +83 pts | 1 | 75% |\n"
        "| [[cafe-ui]] | [[2026-11]] | $0.00 · 0 tok · 0% | $1.80 · 600,000 tok · 10% "
        "| +$1.80 · +600,000 tok · +10 pts | 1 | — |\n"
        "\n"
        "New sessions:\n"
        "\n"
        "- [[auth-login]]: `s-auth`\n"
        f"- [[cafe-ui]]: `{session}`\n"
        "\n"
        "### Price changes\n"
        "\n"
        "- Claude Fable 5.2 from 2026-11-09: input 8 → 7 USD/MTok\n"
    )

    # Committed, the same changes are the diff against the previous commit; none against HEAD.
    git.commit_all(top, "usage")
    assert diff(capsys, budget, "HEAD~1") == out.replace("`HEAD`", "`HEAD~1`")
    quiet = diff(capsys, budget, "HEAD")
    assert "No usage changed." in quiet
    assert "Price changes" not in quiet


def test_a_revision_before_the_vault_existed_shows_everything_as_new(capsys, repo, tmp_path):
    git, top, budget = repo
    git(top, "checkout", "-q", "--orphan", "empty")
    git(top, "rm", "-rq", "--cached", ".")
    (top / "README").write_text("x\n")
    git(top, "add", "README")
    git(top, "commit", "-qm", "empty")
    git(top, "checkout", "-q", "-f", "main")
    out = diff(capsys, budget, "empty")
    assert "_No vault at `empty`: everything below is new._" in out
    assert "- Claude Fable 5.2 from 2026-11-09: added (input 8, output" in out


def test_an_unknown_revision_or_no_repository_is_one_clean_line(capsys, repo, vault):
    _, _, budget = repo
    code, out, err = run(capsys, "diff", "no-such-branch", "--vault", budget)
    assert (code, out) == (1, "")
    assert err == (
        f"{budget}:0: unknown git revision `no-such-branch`; give a commit, branch or tag of the "
        "repository that holds the vault, e.g. origin/main or HEAD~1\n"
    )
    code, _, err = run(capsys, "diff", "HEAD", "--vault", vault)  # not in a git repository
    assert code == 1
    assert err.startswith(f"{vault}:0: git rev-parse --show-toplevel failed: ")
    assert "Traceback" not in err
