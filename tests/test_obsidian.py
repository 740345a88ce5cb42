"""Obsidian and Dataview read the vault cleanly: plain lowercase keys, typed values, wikilinks
between bets and cycles, and progress properties a Dataview query can sort by."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import assistant
from tests.helpers import run
from tests.helpers import write_log

REPO = Path(__file__).resolve().parent.parent
KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # Obsidian properties and Dataview fields, no quoting
LISTS = ("tags", "aliases", "sessions", "alert_thresholds", "token_budget_kinds", "logs")
DATES = ("start", "end", "from")
PROGRESS_KEYS = [
    "bet",
    "cycle",
    "status",
    "percent_used",
    "used_usd",
    "appetite_usd",
    "used_tokens",
    "appetite_tokens",
    "iterations",
    "max_iterations",
    "tasks_done",
    "tasks_total",
]


def frontmatter(path: Path) -> dict[str, Any] | None:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return None
    data = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert isinstance(data, dict), path
    return data


def walk(value: Any, path: Path, where: str = "") -> None:
    """Every key at every depth is a plain lowercase name; dates are dates; lists are lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: {where}{key!r}"
            assert KEY.match(key), f"{path}: key {where}{key!r} is not lowercase_with_underscores"
            if key in LISTS:
                assert isinstance(item, list), f"{path}: {key} must be a list"
            if key in DATES:
                assert isinstance(item, date), f"{path}: {key} must be an ISO date"
            walk(item, path, f"{where}{key}.")
    elif isinstance(value, list):
        for item in value:
            walk(item, path, where)


@pytest.fixture
def rendered(capsys, vault, logs) -> Path:
    """auth-login used $10.00005 of its $12 appetite: 83.3%."""
    write_log(
        logs,
        "p/a.jsonl",
        [assistant("m1", session="s-auth", output=400_000, cache_write=0, cache_read=0)],
    )
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    return vault


def test_every_frontmatter_key_and_value_reads_cleanly(rendered):
    files = sorted(p for p in rendered.rglob("*.md") if ".tokenbook-cache" not in p.parts)
    seen = 0
    for path in files:
        data = frontmatter(path)
        if data is not None:
            walk(data, path)
            seen += 1
    folders = {p.relative_to(rendered).parts[0] for p in files if frontmatter(p) is not None}
    assert {"bets", "cycles", "ledgers", "plans", "pricing", "progress", "tokenbook.md"} <= folders
    assert seen >= 15


def test_with_wikilinks_bets_link_their_cycle_and_rendered_files_link_both(capsys, rendered):
    settings = rendered / "tokenbook.md"
    settings.write_text(
        settings.read_text().replace("timezone: UTC\n", "timezone: UTC\nlinks: wikilinks\n")
    )
    assert run(capsys, "render", "--vault", rendered)[0] == 0
    bet = frontmatter(rendered / "bets" / "auth-login.md")
    assert bet is not None
    assert bet["cycle"] == "[[2026-11]]"
    assert bet["match"] == [{"branch": "feature/auth-*"}]
    dashboard = (rendered / "cost-dashboard.md").read_text()
    assert "## Cycle [[2026-11]]" in dashboard
    for path in sorted((rendered / "bets").glob("*.md")):
        assert f"[[{path.stem}]]" in dashboard, path.stem
        assert f"| [[progress/{path.stem}]] |" in dashboard, path.stem
        progress = (rendered / "progress" / path.name).read_text()
        assert f"Bet: [[{path.stem}]], cycle [[2026-11]] (" in progress
    assert "](" not in dashboard  # no markdown link is left
    assert "usage of bet [[auth-login]]" in (rendered / "ledgers" / "auth-login.md").read_text()


MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]+)\)")


def test_markdown_links_by_default_lead_to_the_files_from_where_they_are(rendered):
    """GitHub and Obsidian both follow a relative markdown link: every one in a rendered file
    names a file that exists, relative to the file that holds it."""
    rendered_files = [rendered / "cost-dashboard.md", *sorted((rendered / "progress").glob("*.md"))]
    seen = set()
    for path in rendered_files:
        text = path.read_text()
        body = text.split("\n---\n", 1)[-1] if text.startswith("---\n") else text
        assert "[[" not in body, path  # the frontmatter keeps Obsidian's properties
        for label, target in MD_LINK.findall(body):
            assert (path.parent / target).resolve().is_file(), (path.name, label, target)
            seen.add(str((path.parent / target).resolve().relative_to(rendered.resolve())))
    bets = {f"bets/{p.name}" for p in (rendered / "bets").glob("*.md")}
    progress = {f"progress/{p.name}" for p in (rendered / "progress").glob("*.md")}
    assert seen == {"cycles/2026-11.md", *bets, *progress}


def test_a_plain_cycle_id_is_accepted_as_well_as_a_wikilink(capsys, rendered):
    bet = rendered / "bets" / "auth-login.md"
    bet.write_text(bet.read_text().replace('cycle: "[[2026-11]]"', "cycle: 2026-11"))
    assert run(capsys, "check", "--vault", rendered)[0] == 0
    assert run(capsys, "render", "--vault", rendered)[0] == 0
    assert 'cycle: "[[2026-11]]"' in (rendered / "progress" / "auth-login.md").read_text()


def test_progress_properties_are_typed_for_dataview(rendered):
    props = frontmatter(rendered / "progress" / "auth-login.md")
    assert props == {
        "bet": "[[auth-login]]",
        "cycle": "[[2026-11]]",
        "status": "active",
        "percent_used": 83.3,  # $10.00005 of 40% x $30
        "used_usd": 10.0,
        "appetite_usd": 12.0,
        "used_tokens": 400_010,
        "appetite_tokens": 16_000_000,
        "iterations": 1,
        "max_iterations": 12,
        "tasks_done": 2,
        "tasks_total": 4,
    }
    assert list(props) == PROGRESS_KEYS
    unused = frontmatter(rendered / "progress" / "data-pipeline.md")
    assert unused is not None
    assert (unused["percent_used"], unused["max_iterations"]) == (0.0, None)
    for path in sorted((rendered / "progress").glob("*.md")):
        data = frontmatter(path)
        assert data is not None
        assert list(data) == PROGRESS_KEYS, path


def test_the_example_dataview_note_queries_fields_progress_files_have():
    note = (REPO / "vault" / "bets-by-use.md").read_text()
    (query,) = re.findall(r"```dataview\n(.*?)```", note, re.S)
    assert 'FROM "progress"' in query
    assert "SORT percent_used DESC" in query
    fields = set(re.findall(r"\b([a-z]+_[a-z_]+|bet|cycle|status|iterations)\b", query))
    assert fields <= set(PROGRESS_KEYS), fields - set(PROGRESS_KEYS)
    assert not note.startswith("---")  # a plain note: tokenbook reads no file at the vault root
