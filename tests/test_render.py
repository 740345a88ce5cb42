"""Rendered files: golden bytes, determinism, whitespace hygiene, overrides, hostile names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import EXAMPLE_VAULT
from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import snapshot
from tests.helpers import write_log

RENDERED = ("cost-dashboard.md", "progress")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example vault exactly as committed (ledgers and rendered files included)."""
    root = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, root, ignore=shutil.ignore_patterns(".tokenbook*"))
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / ".git").mkdir()  # a clone: the vault's `logs:` stays inside its repository
    return root


def rendered_files(root: Path) -> list[Path]:
    return [root / "cost-dashboard.md", *sorted((root / "progress").glob("*.md"))]


def test_committed_example_files_are_the_golden_output(capsys, example):
    """The example vault's dashboard and progress files are what render writes, byte for byte.
    To update them after a template change: `tokenbook render --vault vault`, review the diff."""
    code, _, err = run(capsys, "render", "--check", "--vault", example)
    assert code == 0, err
    before = snapshot(example)
    for name in RENDERED:
        target = example / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    run(capsys, "render", "--vault", example)
    assert snapshot(example) == before


def test_quick_start_sync_of_the_example_changes_nothing(capsys, example):
    before = snapshot(example)
    code, out, err = run(capsys, "sync", "--vault", example)
    assert code == 0, err
    assert "0 new API response(s), 0 updated" in out
    assert snapshot(example) == before


def test_render_check_reports_each_stale_file(capsys, example):
    dashboard = example / "cost-dashboard.md"
    dashboard.write_text(dashboard.read_text() + "edited by hand\n")
    (example / "progress/auth-login.md").unlink()
    code, _, err = run(capsys, "render", "--check", "--vault", example)
    assert code == 1
    assert f"{dashboard}:0: out of date" in err
    assert f"{example / 'progress/auth-login.md'}:0: out of date" in err
    assert "edited by hand" in dashboard.read_text()  # --check writes nothing


def test_progress_file_of_a_removed_bet_is_deleted(capsys, example):
    (example / "bets/billing-fix.md").unlink()
    code, _, _ = run(capsys, "render", "--check", "--vault", example)
    assert code == 1
    run(capsys, "render", "--vault", example)
    assert not (example / "progress/billing-fix.md").exists()


def test_rendered_files_pass_the_whitespace_hooks_untouched(example):
    files = [str(p) for p in rendered_files(example)]
    for hook in ("trailing_whitespace_fixer", "end_of_file_fixer", "mixed_line_ending"):
        result = subprocess.run(
            [sys.executable, "-m", f"pre_commit_hooks.{hook}", *files],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout
    for path in rendered_files(example):
        data = path.read_bytes()
        assert b"\r" not in data
        assert data.endswith(b"\n")
        assert not data.endswith(b"\n\n")


def test_a_vault_template_overrides_the_shipped_one(capsys, vault, logs):
    (vault / "templates").mkdir()
    (vault / "templates/cost-dashboard.md.j2").write_text(
        "# Our spend\n\n{{ d.all_time.tokens.total | num }} tokens\n"
    )
    write_log(
        logs,
        "p/s.jsonl",
        [assistant("m1", "r", input=1000, output=234, cache_write=0, cache_read=0)],
    )
    run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert (vault / "cost-dashboard.md").read_text() == "# Our spend\n\n1,234 tokens\n"
    assert "# Progress:" in (vault / "progress/auth-login.md").read_text()  # shipped template


def table_shapes(text: str) -> list[set[int]]:
    """For each markdown table, the set of cell counts of its lines (one value when intact)."""
    shapes: list[set[int]] = []
    inside = False
    for line in text.split("\n"):
        if line.startswith("|"):
            if not inside:
                shapes.append(set())
            shapes[-1].add(len(re.findall(r"(?<!\\)\|", line)))
        inside = line.startswith("|")
    return shapes


def test_hostile_names_cannot_break_tables_or_inject(capsys, vault, logs):
    evil_model = "claude|<script>alert(1)</script>{{ 7*7 }}[[x]]\nnext"
    evil_session = "s|1\n| injected | row |"
    line = assistant(
        "m1",
        "r",
        model=evil_model,
        session=evil_session,
        cwd="/tmp/<b>|x",
        branch="feature/auth-{% x %}",
    )
    write_log(logs, "p/s.jsonl", [line])
    code, _, err = run(capsys, "sync", "--vault", vault, "--logs", logs)
    assert code == 0, err
    for path in [*rendered_files(vault), vault / "ledgers/auth-login.md"]:
        text = path.read_text()
        assert "<script>" not in text
        assert "\n| injected" not in text
        # the template syntax in the model name was not evaluated (49 = 7*7, next to `[[x`)
        assert "49[[x" not in text
        assert "49\\[\\[x" not in text
        assert all(len(shape) == 1 for shape in table_shapes(text)), path
    sessions = json.loads(run(capsys, "report", "session", "--json", "--vault", vault)[1])
    assert [r["session"] for r in sessions["rows"]] == [evil_session]
    assert list(sessions["totals"]["models"]) == [evil_model]
