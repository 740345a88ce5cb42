"""Two clones of one vault sync different logs, then merge through real git: nothing is lost,
nothing is counted twice, and both clones end up with byte-identical ledgers."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Git
from tests.helpers import assistant
from tests.helpers import report
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

CONFLICT = ("<<<<<<< ", "=======\n", ">>>>>>> ")


@dataclass(frozen=True)
class Response:
    """One distinct API response, with its final (largest) usage."""

    msg: str
    session: str
    day: int
    minute: int
    branch: str
    input: int
    output: int
    cache_write: int
    cache_read: int

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_write + self.cache_read


def line(month: str, r: Response, **override: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": f"{month}-{r.day:02d}T10:{r.minute:02d}:00.000Z",
        "session": r.session,
        "branch": r.branch,
        "input": r.input,
        "output": r.output,
        "cache_write": r.cache_write,
        "cache_read": r.cache_read,
    }
    return assistant(r.msg, f"req-{r.msg}", **(fields | override))


def responses() -> dict[str, list[Response]]:
    def r(msg: str, session: str, day: int, minute: int, branch: str, n: int) -> Response:
        return Response(msg, session, day, minute, branch, 3 + n, 100 * n + 7, 1000 + n, 2000 + n)

    shared = [
        r("sh1", "shared", 2, 0, "feature/shared", 11),
        r("sh2", "shared", 2, 5, "feature/shared", 12),
        r("sh3", "shared", 3, 0, "feature/shared", 13),
        r("sh4", "shared", 3, 5, "feature/shared", 14),
    ]
    return {
        "a": [
            r("a1", "a-feat", 1, 0, "feature/login", 1),
            r("a2", "a-feat", 1, 1, "feature/login", 2),
            r("a3", "a-feat", 2, 0, "feature/login", 3),
            r("a4", "a-fix", 2, 30, "fix/typo", 4),
        ],
        "b": [
            r("b1", "b-main", 1, 10, "main", 5),
            r("b2", "b-main", 3, 10, "main", 6),
            r("b3", "b-exp", 3, 20, "experiment/x", 7),
            r("b4", "b-exp", 3, 21, "experiment/x", 8),
        ],
        "shared": shared,
    }


def write_logs(root: Path, month: str) -> tuple[Path, Path, list[Response]]:
    """Clone A's and B's Claude config dirs, and every distinct response of both."""
    rs = responses()
    sh1, sh2, sh3, sh4 = rs["shared"]
    logs_a, logs_b = root / "claude-a", root / "claude-b"
    write_log(logs_a, "p/a-feat.jsonl", [line(month, x) for x in rs["a"][:3]])
    write_log(logs_a, "p/a-fix.jsonl", [line(month, rs["a"][3])])
    write_log(logs_b, "p/b-main.jsonl", [line(month, x) for x in rs["b"][:2]])
    write_log(logs_b, "p/b-exp.jsonl", [line(month, x) for x in rs["b"][2:]])
    # A synced mid-session: sh2 was still streaming (a placeholder output of 1).
    placeholder = line(month, sh2, output=1)
    write_log(logs_a, "p/shared.jsonl", [line(month, sh1), placeholder])
    # B synced later: sh2's final streamed line, then two more responses.
    final = line(month, sh2, ts=f"{month}-02T10:05:02.000Z")
    write_log(
        logs_b,
        "p/shared.jsonl",
        [line(month, sh1), placeholder, final, line(month, sh3), line(month, sh4)],
    )
    empty = root / "claude-empty"
    (empty / "projects").mkdir(parents=True)
    return logs_a, logs_b, [*rs["a"], *rs["b"], *rs["shared"]]


def expected(rs: list[Response]) -> dict[str, int]:
    return {
        "responses": len(rs),
        "input_tokens": sum(r.input for r in rs),
        "output_tokens": sum(r.output for r in rs),
        "cache_creation_input_tokens": sum(r.cache_write for r in rs),
        "cache_read_input_tokens": sum(r.cache_read for r in rs),
        "total_tokens": sum(r.total for r in rs),
    }


def measured(totals: dict[str, Any]) -> dict[str, int]:
    return {k: totals[k] for k in expected([])}


def worktree_files(repo: Path) -> list[Path]:
    return sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)


def conflict_markers(repo: Path) -> list[str]:
    found = []
    for path in worktree_files(repo):
        for number, text in enumerate(path.read_text(errors="replace").splitlines(True), 1):
            if text.startswith(CONFLICT):
                found.append(f"{path}:{number}: {text.rstrip()}")
    return found


def ledger_rows(repo: Path, name: str) -> list[str]:
    text = (repo / "ledgers" / f"{name}.md").read_text()
    return [ln for ln in text.split("\n") if ln.startswith("| 20")]


def sync(capsys: Any, repo: Path, logs: Path) -> str:
    code, out, err = run(capsys, "sync", "--vault", repo, "--logs", logs)
    assert code == 0, err
    assert err == "", err  # nothing ambiguous, unpriced or skipped
    return out


@pytest.fixture
def git(tmp_path: Path) -> Git:
    return Git(tmp_path / "git-home")


@pytest.fixture
def seeded(capsys: Any, git: Git, tmp_path: Path) -> tuple[Path, str]:
    """A bare origin holding a freshly `tokenbook init`-ed vault at the repo root."""
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", seed)
    code, out, err = run(capsys, "init", seed)
    assert code == 0, err
    assert "created a vault in" in out
    (cycle,) = sorted((seed / "cycles").glob("*.md"))
    month = cycle.stem
    for name in (
        ".gitattributes",
        ".gitignore",
        "tokenbook.md",
        f"cycles/{month}.md",
        "bets/first-feature.md",
        "bets/maintenance.md",
        "pricing/anthropic.md",
        "plans/max-5x.md",
        "ledgers/unassigned.md",
        "cost-dashboard.md",
    ):
        assert (seed / name).is_file(), name
    assert "ledgers/*.md merge=union" in (seed / ".gitattributes").read_text().splitlines()
    assert ".tokenbook.lock" in (seed / ".gitignore").read_text()
    assert f"[{month}](cycles/{month}.md)" in (seed / "cost-dashboard.md").read_text()
    code, out, err = run(capsys, "check", "--vault", seed)
    assert code == 0, err
    assert "ok: 1 cycle(s), 2 bet(s)" in out
    assert run(capsys, "render", "--check", "--vault", seed)[0] == 0
    # The repo is the vault root, so the union rule applies to the ledgers git sees.
    attr = git(seed, "check-attr", "merge", "--", "ledgers/first-feature.md")
    assert attr.strip() == "ledgers/first-feature.md: merge: union"
    git.commit_all(seed, "tokenbook init")
    git(tmp_path, "clone", "-q", "--bare", seed, tmp_path / "origin.git")
    return tmp_path / "origin.git", month


def test_two_clones_merge_without_conflict_or_double_counting(capsys, git, seeded, tmp_path):
    origin, month = seeded
    a, b = tmp_path / "A", tmp_path / "B"
    git(tmp_path, "clone", "-q", origin, a)
    git(tmp_path, "clone", "-q", origin, b)
    logs_a, logs_b, everything = write_logs(tmp_path, month)
    empty = tmp_path / "claude-empty"

    assert "the ledgers count 6" in sync(capsys, a, logs_a)  # 4 own + sh1, sh2 (a placeholder)
    sync(capsys, b, logs_b)
    assert "!! .tokenbook.lock" in git(a, "status", "--porcelain", "--ignored").splitlines()
    git.commit_all(a, "sync on A")
    git.commit_all(b, "sync on B")
    assert "tokenbook.lock" not in git(a, "show", "--stat", "HEAD")
    a_only = report(capsys, a, "daily")["totals"]
    assert a_only["responses"] == 6

    # A publishes; A also merges B's commit straight from B's repo (B has not merged yet),
    # and B merges A's commit from origin: the same two commits, merged both ways round.
    git(a, "push", "-q", "origin", "main")
    git.pull(a, b)
    git.pull(b, "origin")
    for repo in (a, b):
        assert git(repo, "diff", "--name-only", "--diff-filter=U") == ""
        assert conflict_markers(repo) == []
        assert len(git(repo, "log", "-1", "--format=%P").split()) == 2  # a real merge

    # The union merge kept both snapshots of shared's day-2 row; readers keep B's larger one.
    day2 = f"| {month}-02 | shared |"
    for repo in (a, b):
        assert sum(r.startswith(day2) for r in ledger_rows(repo, "first-feature")) == 2

    want = expected(everything)
    for repo in (a, b):
        assert measured(report(capsys, repo, "daily")["totals"]) == want
        assert measured(report(capsys, repo, "session")["totals"]) == want
        assert measured(report(capsys, repo, "monthly")["totals"]) == want

    # Rendered files may be stale right after the merge; render fixes that.
    for repo in (a, b):
        run(capsys, "render", "--check", "--vault", repo)
        code, _, err = run(capsys, "render", "--vault", repo)
        assert code == 0, err
        code, _, err = run(capsys, "render", "--check", "--vault", repo)
        assert (code, err) == (0, "")

    # A sync with no logs canonicalises the merged ledgers: one row per key, sorted.
    for repo in (a, b):
        sync(capsys, repo, empty)
        assert sum(r.startswith(day2) for r in ledger_rows(repo, "first-feature")) == 1
        assert measured(report(capsys, repo, "daily")["totals"]) == want
        assert run(capsys, "render", "--check", "--vault", repo)[0] == 0
        assert run(capsys, "check", "--vault", repo)[0] == 0
    # Re-reading either clone's own logs changes nothing: A's placeholder snapshot of sh2 is
    # smaller than the merged row, so it never replaces B's final one.
    for repo in (a, b):
        before = snapshot(repo)
        for logs in (logs_a, logs_b):
            assert "0 new API response(s), 0 updated" in sync(capsys, repo, logs)
        assert snapshot(repo) == before
    tracked = {k: v for k, v in snapshot(a).items() if not k.startswith(".git")}
    assert tracked == {k: v for k, v in snapshot(b).items() if not k.startswith(".git")}
    assert {k for k in tracked if k.startswith("ledgers/")} == {
        f"ledgers/{name}{suffix}"
        for name in ("first-feature", "maintenance", "unassigned")
        for suffix in (".md", ".tsv")
    }

    # Both clones commit the canonical state; merging identical changes is clean too.
    git.commit_all(a, "canonical on A")
    git.commit_all(b, "canonical on B")
    git(b, "push", "-q", "origin", "main")
    git.pull(a, "origin")
    assert git(a, "diff", "--name-only", "--diff-filter=U") == ""
    assert conflict_markers(a) == []
    assert git(a, "status", "--porcelain") == ""
    assert measured(report(capsys, a, "daily")["totals"]) == want


def test_merged_reports_equal_one_vault_that_read_every_log(capsys, git, seeded, tmp_path):
    """Per day, per session and per bet, costs included: the merge equals a single reader."""
    origin, month = seeded
    a, b, single = tmp_path / "A", tmp_path / "B", tmp_path / "single"
    for repo in (a, b, single):
        git(tmp_path, "clone", "-q", origin, repo)
    logs_a, logs_b, everything = write_logs(tmp_path, month)
    sync(capsys, a, logs_a)
    sync(capsys, b, logs_b)
    code, _, err = run(capsys, "sync", "--vault", single, "--logs", logs_a, "--logs", logs_b)
    assert code == 0, err
    git.commit_all(a, "sync on A")
    git.commit_all(b, "sync on B")
    git(b, "push", "-q", "origin", "main")
    git.pull(a, "origin")
    assert conflict_markers(a) == []

    for kind in ("daily", "monthly", "session"):
        assert report(capsys, a, kind) == report(capsys, single, kind), kind
    for bet in ("first-feature", "maintenance", "unassigned"):
        merged = report(capsys, a, "session", "--bet", bet)
        assert merged == report(capsys, single, "session", "--bet", bet), bet

    sessions = {r["session"]: r for r in report(capsys, a, "session")["rows"]}
    assert {s: r["bets"] for s, r in sessions.items()} == {
        "a-feat": ["first-feature"],
        "shared": ["first-feature"],
        "a-fix": ["maintenance"],
        "b-main": ["maintenance"],
        "b-exp": ["unassigned"],
    }
    shared = [r for r in everything if r.session == "shared"]
    assert measured(sessions["shared"]) == expected(shared)
    assert sessions["shared"]["output_tokens"] == sum(r.output for r in shared)  # B's sh2

    days = {r["date"]: r for r in report(capsys, a, "daily")["rows"]}
    for day in (1, 2, 3):
        on_day = [r for r in everything if r.day == day]
        assert measured(days[f"{month}-{day:02d}"]) == expected(on_day)

    assert run(capsys, "render", "--vault", a)[0] == 0
    assert run(capsys, "render", "--vault", single)[0] == 0
    assert (a / "cost-dashboard.md").read_bytes() == (single / "cost-dashboard.md").read_bytes()
    assert json.loads(json.dumps(report(capsys, a, "daily")))["totals"]["cost_usd"] is not None


def test_pull_after_both_clones_synced_has_no_conflict_at_all(capsys, git, seeded, tmp_path):
    origin, month = seeded
    a, b = tmp_path / "A", tmp_path / "B"
    for repo in (a, b):
        git(tmp_path, "clone", "-q", origin, repo)
    logs_a, logs_b, _ = write_logs(tmp_path, month)
    sync(capsys, a, logs_a)
    sync(capsys, b, logs_b)
    git.commit_all(a, "sync on A")
    git.commit_all(b, "sync on B")
    git(a, "push", "-q", "origin", "main")
    out = git(b, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)
    assert "CONFLICT" not in out
    assert git(b, "diff", "--name-only", "--diff-filter=U") == ""
    assert conflict_markers(b) == []


def test_logged_entries_and_assignments_merge_both_ways(capsys, git, seeded, tmp_path):
    """`log` on both clones (one entry twice) and `assign` on one: no conflict, each entry
    counted once, the assignment kept, dashboards regenerated, `diff` shows the other side."""
    origin, month = seeded
    a, b = tmp_path / "A", tmp_path / "B"
    for repo in (a, b):
        git(tmp_path, "clone", "-q", origin, repo)
    logs_a, logs_b, everything = write_logs(tmp_path, month)
    sync(capsys, a, logs_a)
    sync(capsys, b, logs_b)
    entry = ("--bet", "maintenance", "--tokens", "5000", "--model", "claude-sonnet-4-5")
    ci = (*entry, "--date", f"{month}-02", "--note", "ci bot")
    for repo in (a, b):
        assert run(capsys, "log", "--vault", repo, *ci)[0] == 0
    assert (
        run(capsys, "log", "--vault", b, *entry, "--date", f"{month}-03", "--output", "700")[0] == 0
    )
    assert run(capsys, "assign", "a-fix", "first-feature", "--vault", a)[0] == 0
    git.commit_all(a, "sync, log and assign on A")
    git.commit_all(b, "sync and log on B")
    git(a, "push", "-q", "origin", "main")
    before_merge = git(b, "rev-parse", "HEAD").strip()
    assert git.pull(a, b) == []  # A merges B's commit
    assert git.pull(b, "origin") == []  # B merges A's commit
    want = expected(everything)
    want["responses"] += 2
    want["input_tokens"] += 10000
    want["output_tokens"] += 700
    want["total_tokens"] += 10700
    for repo in (a, b):
        assert conflict_markers(repo) == []
        assert measured(report(capsys, repo, "daily")["totals"]) == want
        sessions = {r["session"]: r["bets"] for r in report(capsys, repo, "session")["rows"]}
        assert sessions["a-fix"] == ["first-feature"]
        assert "sessions: [a-fix]" in (repo / "bets" / "first-feature.md").read_text()
        sync(capsys, repo, tmp_path / "claude-empty")  # canonical ledgers, fresh dashboards
        assert run(capsys, "render", "--check", "--vault", repo)[0] == 0
        assert measured(report(capsys, repo, "daily")["totals"]) == want
        manual = [r for r in ledger_rows(repo, "maintenance") if " | manual | " in r]
        assert len(manual) == 2
    tracked = {k: v for k, v in snapshot(a).items() if not k.startswith(".git")}
    assert tracked == {k: v for k, v in snapshot(b).items() if not k.startswith(".git")}
    # The PR view of B's side: A's sessions arrive (`shared` was B's too), maintenance is as it was.
    code, out, err = run(capsys, "diff", before_merge, "--vault", b)
    assert (code, err) == (0, "")
    assert out.endswith(
        "<details>\n<summary>2 new session(s) in 1 bet(s)</summary>\n\n"
        "| Bet | Session | First day | Tokens | Cost (priced) |\n|---|---|---|--:|--:|\n"
        "| first-feature | `a-feat` | 2026-11-01 | 9,648 | $0.04 |\n"
        "| first-feature | `a-fix` | 2026-11-02 | 3,422 | $0.02 |\n\n</details>\n"
    )
    assert "| maintenance |" not in out
