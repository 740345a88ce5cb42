"""`tokenbook diff REV`: the budget at a git revision against the working tree, from real git."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.gitenv import Git
from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import write_log

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
        "| Cycle | Budget | At `HEAD` | Now | Change |\n"
        "|---|--:|--:|--:|--:|\n"
        "| 2026-11 | $30.00 · 40,000,000 tok | $0.00 · 0 tok | $11.80 · 1,000,010 tok "
        "| +$11.80 · +1.0M tok |\n"
        "\n"
        "### Bets\n"
        "\n"
        "| Bet | Cost (change) | Tokens (change) | % of appetite | New sessions | New alerts |\n"
        "|---|--:|--:|--:|--:|---|\n"
        "| auth-login | $10.00 (+$10.00) | 400,010 (+400,010) | 83% (+83 pts) | 1 | 75% |\n"
        "| cafe-ui | $1.80 (+$1.80) | 600,000 (+600,000) | 10% (+10 pts) | 1 | — |\n"
        "\n"
        "<details>\n"
        "<summary>2 new session(s) in 2 bet(s)</summary>\n"
        "\n"
        "| Bet | Session | First day | Tokens | Cost (priced) |\n"
        "|---|---|---|--:|--:|\n"
        "| auth-login | `s-auth` | 2026-11-03 | 400,010 | $10.00 |\n"
        f"| cafe-ui | `{session}` | 2026-11-05 | 600,000 | $1.80 |\n"
        "\n"
        "</details>\n"
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


def test_a_bet_whose_cost_alone_changed_is_listed(capsys, repo, logs):
    """cafe-ui's appetite is in tokens: a new price moves its cost, not its percentage."""
    git, top, budget = repo
    line = assistant(
        "m1",
        session="s-cafe",
        cwd="/home/dev/src/café-ui",
        branch="main",
        model="claude-sonnet-4-5",
        output=1000,
    )
    write_log(logs, "p/c.jsonl", [line])
    assert run(capsys, "sync", "--vault", budget, "--logs", logs)[0] == 0
    git.commit_all(top, "usage")
    pricing = budget / "pricing" / "anthropic.md"
    text = pricing.read_text()
    assert "claude-sonnet-4-5" in text
    before = report(capsys, budget, "session")["rows"][0]["cost_usd"]
    sonnet = text.index("match: claude-sonnet-4-5*")
    output = text.index("output: 15", text.index("from: 2026-05-01", sonnet))
    pricing.write_text(text[:output] + "output: 30" + text[output + len("output: 15") :])
    after = report(capsys, budget, "session")["rows"][0]["cost_usd"]
    assert before != after
    out = diff(capsys, budget, "HEAD")
    rows = [ln for ln in out.splitlines() if ln.startswith("| cafe-ui |")]
    assert len(rows) == 1
    assert "(±0 pts)" in rows[0]  # the share of the appetite did not move
    assert "(+$0.02)" in rows[0]  # 1,000 output tokens at $15 more per million
    assert "| 0 | — |" in rows[0]  # no new session, no new alert
    assert "<details>" not in out


def test_unpriced_usage_and_a_removed_bet(capsys, repo, logs):
    _, _, budget = repo
    odd = assistant("m1", session="s-odd", model="claude-unknown-9", output=5000)
    write_log(logs, "p/a.jsonl", [odd])
    assert run(capsys, "sync", "--vault", budget, "--logs", logs)[0] == 0
    (budget / "bets" / "billing-fix.md").unlink()
    out = diff(capsys, budget, "HEAD")
    assert "| auth-login | unpriced (+ unpriced) | 11,010 (+11,010) | " in out
    assert (
        "\n11,010 tokens of `claude-unknown-9` have no price in `pricing/`: every dollar figure "
        "marked ≥ counts the priced part only, and nothing here counts them as $0.\n"
    ) in out
    assert "| billing-fix (removed) | — (was $0.00) | — (was 0) | — | — | — |" in out
    assert "| auth-login | `s-odd` | 2026-11-03 | 11,010 | unpriced |" in out
