"""A generated history for outcome tests: real git repositories with commits at known times, a
vault whose bets match their branches, and Claude Code logs of sessions on those branches.

Every bet knows which of its branch's commits the outcome rule must count (`Planned.expected`,
None when the rule must say "no outcome data"), so tests compare `report bet --json` with git's
own `git diff --shortstat` over exactly those commits.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.gitenv import git_env
from tests.helpers import assistant
from tests.helpers import write_log
from tests.test_budgets import MODEL
from tests.test_budgets import PRICING

KINDS = (
    "branch",
    "merged",
    "main-merged-in",
    "worktree",
    "ff",
    "missing",
    "no-branch",
    "on-main",
    "branch",
)
NO_DATA_KINDS = ("ff", "missing", "no-branch", "on-main")
START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


class Repo:
    """A git repository whose commits carry the times we give them."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        self.env = git_env(home, "Gen")
        path.mkdir(parents=True)
        self("init", "-q")

    def __call__(self, *args: str, at: datetime | None = None, cwd: Path | None = None) -> str:
        env = dict(self.env)
        if at is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
        done = subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
            cwd=cwd or self.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"git {args}: {done.stdout}{done.stderr}"
        return done.stdout

    def commit(
        self, at: datetime, rng: random.Random, cwd: Path | None = None, only_add: bool = False
    ) -> str:
        """Change some files (add, edit, delete lines, rename, binary) and commit at `at`; the
        default branch's commits only add files, so merges never conflict."""
        top = cwd or self.path
        files = sorted(p for p in top.glob("*.txt"))
        actions = ["add", "add", "edit", "edit", "rename", "binary"]
        action = rng.choice(actions) if files and not only_add else "add"
        if action == "add":
            name = f"f{rng.randrange(10**6)}.txt"
            _write(top / name, [f"line {i} {rng.random()}" for i in range(rng.randint(1, 40))])
        elif action == "edit":
            path = rng.choice(files)
            lines = path.read_text().splitlines()
            keep = [ln for ln in lines if rng.random() > 0.3]
            _write(path, keep + [f"new {rng.random()}" for _ in range(rng.randint(0, 12))])
        elif action == "rename":
            path = rng.choice(files)
            self("mv", path.name, f"r{rng.randrange(10**6)}.txt", cwd=top)
        else:
            (top / f"b{rng.randrange(10**6)}.bin").write_bytes(
                bytes(rng.randrange(256) for _ in range(64)) + b"\0"
            )
        self("add", "-A", cwd=top)
        self("commit", "-q", "--allow-empty", "-m", f"{action} at {at.isoformat()}", at=at, cwd=top)
        return self("rev-parse", "HEAD", cwd=top).strip()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(ln + "\n" for ln in lines))


@dataclass
class Planned:
    bet: str
    kind: str
    repo: Repo | None
    branch: str
    cwd: str
    first: datetime
    last: datetime
    expected: list[str] | None  # the commits the rule counts; None: no outcome data
    output_tokens: int = 0
    done: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)


def bet_file(p: Planned, tasks: int) -> str:
    if p.kind == "on-main":  # its sessions by name: a rule on `main` would claim others'
        rule = f"sessions: [s-{p.bet[1:]}-0, s-{p.bet[1:]}-1]\n"
    else:
        rule = "match:\n" + (
            f'  - branch: "{p.branch}"\n' if p.branch else f'  - project: "{p.cwd}"\n'
        )
    body = "".join(f"- [{'x' if i < p.done else ' '}] task {i}\n" for i in range(tasks))
    return f"---\ncycle: c1\nappetite_usd: 500\n{rule}tags: [feature]\n---\n# {p.bet}\n\n{body}"


def _sessions(p: Planned, rng: random.Random, n: int) -> None:
    """Responses of the bet's sessions between `first` and `last` (10k-200k output tokens)."""
    times = [
        p.first,
        p.last,
        *sorted(p.first + (p.last - p.first) * rng.random() for _ in range(rng.randint(0, 4))),
    ]
    for k, at in enumerate(sorted(times)):
        output = rng.randrange(10, 200) * 1000
        p.output_tokens += output
        p.lines.append(
            assistant(
                f"m-{n}-{k}",
                f"r-{n}-{k}",
                ts=at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                session=f"s-{n}-{k % 2}",
                model=MODEL,
                input=0,
                output=output,
                cache_write=0,
                cache_read=0,
                cwd=p.cwd,
                branch=p.branch,
            )
        )


def _work(p: Planned, repo: Repo, rng: random.Random, main_at: datetime) -> None:
    """The bet's branch: a commit before its span, commits inside, one after; its kind's merge."""
    repo("checkout", "-q", "-b", p.branch, "main")
    repo.commit(p.first - timedelta(hours=3), rng)  # before the span (slack 2 h): not counted
    inside = [p.first - timedelta(minutes=90), p.last + timedelta(minutes=100)]
    inside += [p.first + (p.last - p.first) * rng.random() for _ in range(rng.randint(1, 5))]
    expected = []
    for i, at in enumerate(sorted(inside)):
        expected.append(repo.commit(at, rng))
        if p.kind == "main-merged-in" and i == 0:
            repo("checkout", "-q", "main")
            repo.commit(at + timedelta(minutes=1), rng, only_add=True)  # main's, not the bet's
            repo("checkout", "-q", p.branch)
            repo("merge", "-q", "--no-ff", "--no-edit", "main", at=at + timedelta(minutes=2))
    repo.commit(p.last + timedelta(hours=3), rng)  # after the span: not counted
    repo("checkout", "-q", "main")
    if p.kind != "ff":
        repo.commit(main_at, rng, only_add=True)  # the default branch moves on meanwhile
    if p.kind == "merged":
        repo("merge", "-q", "--no-ff", "--no-edit", p.branch, at=p.last + timedelta(hours=4))
    if p.kind == "ff":
        repo("merge", "-q", "--ff-only", p.branch)
        expected = []
    p.expected = expected if p.kind != "ff" else None


def generate(root: Path, logs: Path, seed: int, bets: int = 8) -> tuple[Path, list[Planned]]:
    """A vault at `root/vault` and repositories under `root/src`; logs written into `logs`."""
    rng = random.Random(seed)
    repos = [Repo(root / "src" / name, root / "git-home") for name in ("webapp", "api")]
    for repo in repos:
        repo.commit(START - timedelta(days=1), rng, only_add=True)
    planned = []
    for n in range(bets):
        kind = KINDS[n % len(KINDS)] if n < len(KINDS) else rng.choice(KINDS)
        repo = repos[n % 2]
        first = START + timedelta(days=n, hours=rng.randint(0, 6))
        last = first + timedelta(hours=rng.randint(1, 30))
        branch = f"feat/b{n}"
        cwd = str(repo.path / "src") if n % 3 == 0 else str(repo.path)
        p = Planned(f"b{n}", kind, repo, branch, cwd, first, last, None)
        if kind == "missing":
            p.repo, p.cwd = None, str(root / "elsewhere" / f"gone{n}")
        elif kind in ("no-branch", "on-main"):
            p.branch = "" if kind == "no-branch" else "main"
            p.cwd = str(repo.path / f"nb{n}") if kind == "no-branch" else str(repo.path)
            Path(p.cwd).mkdir(exist_ok=True)
            repo.commit(first + timedelta(minutes=5), rng, only_add=True)  # on main, in the span
        else:
            (repo.path / "src").mkdir(exist_ok=True)
            _work(p, repo, rng, last + timedelta(hours=1))
        if kind == "worktree":
            wt = root / "src" / f"wt-b{n}"
            repo("worktree", "add", "-q", str(wt), branch)
            p.cwd = str(wt)
        p.done = rng.randint(0, 3)
        _sessions(p, rng, n)
        planned.append(p)
    return _vault(root / "vault", logs, planned, rng), planned


def _vault(root: Path, logs: Path, planned: list[Planned], rng: random.Random) -> Path:
    for folder in ("cycles", "bets", "pricing", "plans"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tokenbook.md").write_text("---\ntimezone: UTC\n---\n")
    (root / "cycles/c1.md").write_text(
        "---\nstart: 2026-11-02\nend: 2026-11-30\nbudget_usd: 5000\n---\n"
    )
    (root / "pricing/test.md").write_text(PRICING)
    for p in planned:
        (root / "bets" / f"{p.bet}.md").write_text(bet_file(p, p.done + rng.randint(0, 2)))
        write_log(logs, f"p/{p.bet}.jsonl", p.lines)
    return root
