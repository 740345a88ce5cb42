"""The dashboard, a progress file and a PR diff as GitHub shows them: every table fits GitHub's
1012 px content width, numbers are right-aligned, links are links, and the burn-up chart's
day axis stays readable on a 30-day cycle. Rendered with markdown-it-py like GitHub's GFM,
mermaid from a local npm copy, and measured and photographed in headless Chromium (skipped
when Chromium is not installed).

`TOKENBOOK_UPDATE_SCREENSHOTS=1` writes the pictures of the example vault to docs/images/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests import github_view
from tests.conftest import REPO
from tests.gitenv import Git
from tests.helpers import EXAMPLE_VAULT
from tests.helpers import run
from tests.helpers import write_log
from tests.test_budgets import make_vault
from tests.test_budgets import response

IMAGES = REPO / "docs" / "images"
BROWSER = github_view.chromium()
needs_chromium = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
CUTOFF = "2026-11-12"  # the PR's base: the example's records before this day


@pytest.fixture(scope="module")
def assets() -> github_view.Assets:
    """GitHub's stylesheet and mermaid, installed only where a browser will use them."""
    return github_view.assets(install=BROWSER is not None)


def example_pr(capsys: Any, tmp_path: Path) -> str:
    """`tokenbook diff` of a pull request on the example vault: its base holds the records
    before `CUTOFF`, the branch all of them (the sessions synced since)."""
    git = Git(tmp_path / "git-home")
    top = tmp_path / "repo"
    budget = top / "budget"
    shutil.copytree(EXAMPLE_VAULT, budget, ignore=shutil.ignore_patterns(".tokenbook*"))
    full = {p: p.read_text(encoding="utf-8") for p in (budget / "ledgers").glob("*.tsv")}
    for path, text in full.items():
        lines = text.splitlines(keepends=True)
        kept = [ln for ln in lines if not (ln.startswith("r\t") and ln.split("\t")[3] >= CUTOFF)]
        path.write_text("".join(kept), encoding="utf-8")
    git(tmp_path, "init", "-q", top)
    git.commit_all(top, "base")
    for path, text in full.items():
        path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "diff", "HEAD", "--vault", budget)
    assert (code, err) == (0, ""), err
    return out


def show(text: str, name: str, tmp_path: Path, found: github_view.Assets) -> dict[str, Any]:
    """Render `text` as GitHub does, measure it and take its picture (into docs/images/ when
    asked); return the measurements."""
    assert BROWSER is not None
    page = tmp_path / f"{name}.html"
    page.write_text(github_view.to_html(text, found), encoding="utf-8")
    report = github_view.measure(page, BROWSER)
    height = report["headings"].get("Alerts", report["height"]) if name == "dashboard" else None
    out = tmp_path / f"{name}.png"
    github_view.screenshot(page, BROWSER, out, height or report["height"])
    assert out.stat().st_size > 10_000, f"{name}: the screenshot is empty"
    if os.environ.get("TOKENBOOK_UPDATE_SCREENSHOTS") == "1" and name in SHOWN:
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, IMAGES / f"{name}.png")
    return report


SHOWN = ("dashboard", "progress", "diff")


def assert_fits(report: dict[str, Any], name: str, found: github_view.Assets) -> None:
    """Every table (GitHub's own frontmatter table aside) fits GitHub's content width with no
    cell wrapped and no scroll bar; each chart is drawn with labels that do not overlap."""
    tables = [t for t in report["tables"] if not t["frontmatter"]]
    assert tables, name
    for i, t in enumerate(tables):
        assert t["natural"] <= github_view.WIDTH, (name, i, t)  # no cell wrapped to fit
        assert t["scroll"] <= t["client"], (name, i, t)  # no scroll bar
    if found.mermaid is not None:
        assert report["error"] is None, report["error"]
        for chart in report["charts"]:
            assert chart["drawn"], name
            assert chart["labels"] >= 3, (name, chart)
            assert chart["overlaps"] == 0, (name, chart)


def test_rendered_markdown_has_right_aligned_numbers_and_real_links(assets):
    """Without a browser: what GitHub's renderer makes of the committed example files."""
    page = github_view.to_html((EXAMPLE_VAULT / "cost-dashboard.md").read_text(), assets)
    assert '<th style="text-align:right">Used (priced)</th>' in page
    assert '<td style="text-align:right">≥$5.99</td>' in page
    assert '<a href="bets/data-pipeline.md">data-pipeline</a>' in page
    assert '<a href="cycles/2026-11.md">2026-11</a>' in page
    assert "[[" not in page
    assert 'class="markdown-alert markdown-alert-note"' in page
    assert "xychart-beta" in page
    progress = (EXAMPLE_VAULT / "progress" / "data-pipeline.md").read_text()
    page = github_view.to_html(progress, assets)
    assert '<a href="../bets/data-pipeline.md">data-pipeline</a>' in page
    assert '<input type="checkbox" disabled> ' in page


@needs_chromium
@needs_git
def test_the_example_vault_fits_githubs_page(capsys, tmp_path, assets):
    dash = show((EXAMPLE_VAULT / "cost-dashboard.md").read_text(), "dashboard", tmp_path, assets)
    assert_fits(dash, "dashboard", assets)
    if assets.mermaid is not None:
        assert len(dash["charts"]) == 1
    progress = (EXAMPLE_VAULT / "progress" / "data-pipeline.md").read_text()
    assert_fits(show(progress, "progress", tmp_path, assets), "progress", assets)
    pr = example_pr(capsys, tmp_path)
    assert "<summary>" in pr
    assert (
        "| data-pipeline | ≥$5.99 (+$5.99 + unpriced) | 13,383,835 (+13.4M) | ≥134% (+134 pts) "
        "| 2 | 75%, 90%, 100% |" in pr
    )
    assert_fits(show(pr, "diff", tmp_path, assets), "diff", assets)


@needs_chromium
def test_a_30_day_cycle_has_a_readable_day_axis(capsys, tmp_path, logs, assets):
    """Thirty days of usage: the chart's axis shows round days (0, 5, 10, ...), not thirty
    dates run together."""
    vault = make_vault(tmp_path)
    cycle = vault / "cycles/c1.md"
    cycle.write_text(cycle.read_text().replace("end: 2026-11-15", "end: 2026-12-01"))
    days = [f"2026-11-{d:02d}" for d in range(2, 31)] + ["2026-12-01"]
    write_log(logs, "p/a.jsonl", [response(i, day, 20_000 * i) for i, day in enumerate(days)])
    assert run(capsys, "sync", "--vault", vault, "--logs", logs)[0] == 0
    text = (vault / "cost-dashboard.md").read_text()
    assert '    x-axis "Day of the cycle" 0 --> 30' in text
    report = show(text, "long-cycle", tmp_path, assets)
    assert_fits(report, "long-cycle", assets)
    if assets.mermaid is not None:
        (chart,) = report["charts"]
        assert 3 <= chart["labels"] <= 16
