"""Real git for tests, isolated from the developer's config, identity and hooks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

RENDERED = ("cost-dashboard.md", "progress/")


def git_env(home: Path, name: str) -> dict[str, str]:
    """The environment of a git isolated from this machine's: its own HOME, no global or system
    config, a fixed identity, no editor and no prompts."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    email = name.lower().replace(" ", "-") + "@example.invalid"
    return env | {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_MERGE_AUTOEDIT": "no",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


class Git:
    """Real git, isolated from the developer's config and identity."""

    def __init__(self, home: Path) -> None:
        self.env = git_env(home, "Tokenbook Test")

    def __call__(self, cwd: Path, *args: str | Path, check: bool = True) -> str:
        done = subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *map(str, args)],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"git {args}: {done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    def commit_all(self, repo: Path, message: str) -> None:
        self(repo, "add", "-A")
        self(repo, "commit", "-q", "-m", message)

    def pull(self, repo: Path, remote: str | Path) -> list[str]:
        """Merge (never rebase) `remote`'s main; return the paths that conflicted.

        Conflicts in rendered files (a known bug: .gitattributes does not cover them) are
        resolved the way a user would, keeping ours, since `render` regenerates them anyway.
        Any other conflict fails the test.
        """
        self(repo, "pull", "--no-rebase", "--no-edit", str(remote), "main", check=False)
        conflicted = self(repo, "diff", "--name-only", "--diff-filter=U").split()
        unexpected = [p for p in conflicted if not p.startswith(RENDERED)]
        assert unexpected == [], f"merge conflicts in {unexpected}"
        if conflicted:
            self(repo, "checkout", "--ours", "--", *conflicted)
            self(repo, "add", "--", *conflicted)
            self(repo, "commit", "-q", "--no-edit")
        return conflicted
