"""Markdown shown the way GitHub shows it, in headless Chromium: for the screenshot tests.

GitHub renders a file with GFM (tables, strikethrough, safe HTML such as `<details>`), shows
YAML frontmatter as a table, turns `> [!NOTE]` quotes into alerts and ```` ```mermaid ```` blocks
into diagrams, all inside an article 1012 px wide styled by its markdown CSS. This module does
the same with markdown-it-py, the `github-markdown-css` and `mermaid` npm packages (installed
once into a cache folder when npm can reach the registry; without them a built-in copy of the
CSS rules that decide table width is used and mermaid blocks stay source) and Chromium.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

WIDTH = 1012  # GitHub's content width for a file or a comment
PADDING = 32
NPM_PACKAGES = ("mermaid@11", "github-markdown-css@5")
# Read when the tests are collected, before conftest gives each test a HOME of its own.
CACHE = Path(os.environ.get("TOKENBOOK_NPM_CACHE", Path.home() / ".cache" / "tokenbook-tests"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--virtual-time-budget=15000",
)
# What decides a table's width on GitHub when the full stylesheet is not available.
FALLBACK_CSS = """
.markdown-body { font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial,
  sans-serif; font-size: 16px; line-height: 1.5; color: #1f2328; }
.markdown-body table { display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse; }
.markdown-body table th, .markdown-body table td { padding: 6px 13px;
  border: 1px solid #d1d9e0; }
.markdown-body table th { font-weight: 600; }
.markdown-body code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 85%; padding: .2em .4em; }
"""
MEASURE = """
<script type="module">
// Top-level await: the page counts as loaded (and is dumped or shot) only after this ran.
if (window.mermaid) {
  mermaid.initialize({startOnLoad: false, theme: "default"});
  try { await mermaid.run({querySelector: "pre.mermaid"}); }
  catch (e) { window.mermaidError = String(e); }
}
await document.fonts.ready;
// A table's natural width: what it needs with no cell wrapped (GitHub caps it at the page's
// width, then wraps cells or scrolls).
const natural = t => {
  const cap = t.style.maxWidth;
  t.style.maxWidth = "none";
  const width = t.scrollWidth;
  t.style.maxWidth = cap;
  return width;
};
const tables = [...document.querySelectorAll("table")].map(t => ({
  frontmatter: t.dataset.frontmatter === "yes", natural: natural(t),
  scroll: t.scrollWidth, client: t.clientWidth, right: t.getBoundingClientRect().right,
}));
const charts = [...document.querySelectorAll("pre.mermaid")].map(p => {
  const svg = p.querySelector("svg");
  if (!svg) return {drawn: false};
  const boxes = [...svg.querySelectorAll("g.bottom-axis g.label text")]
    .map(t => t.getBoundingClientRect()).sort((a, b) => a.left - b.left);
  const overlaps = boxes.slice(1).filter((b, i) => b.left < boxes[i].right).length;
  return {drawn: true, labels: boxes.length, overlaps, width: svg.getBoundingClientRect().width};
});
const headings = Object.fromEntries([...document.querySelectorAll("h2")].map(
  h => [h.textContent.trim(), Math.round(h.getBoundingClientRect().top + window.scrollY)]));
document.getElementById("measure").textContent = JSON.stringify({
  tables, charts, headings, height: document.documentElement.scrollHeight,
  mermaid: Boolean(window.mermaid), error: window.mermaidError || null,
});
</script>
"""


@dataclass(frozen=True, slots=True)
class Assets:
    css: str  # GitHub's markdown stylesheet, or the fallback rules
    mermaid: Path | None  # mermaid.min.js


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def assets(install: bool = True) -> Assets:
    """The npm packages from the cache, installed there first when asked and npm can (a failed
    or slow install leaves the fallbacks)."""
    root = CACHE / "npm"
    modules = root / "node_modules"
    if install and not (modules / "mermaid").is_dir() and shutil.which("npm"):
        root.mkdir(parents=True, exist_ok=True)
        command = ["npm", "install", "--no-audit", "--no-fund", "--fetch-retries=1"]
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            subprocess.run(
                [*command, "--prefix", str(root), *NPM_PACKAGES],
                capture_output=True,
                check=False,
                timeout=300,
            )
    css_file = modules / "github-markdown-css" / "github-markdown-light.css"
    js = modules / "mermaid" / "dist" / "mermaid.min.js"
    css = css_file.read_text(encoding="utf-8") if css_file.is_file() else FALLBACK_CSS
    return Assets(css=css, mermaid=js if js.is_file() else None)


def _frontmatter(text: str) -> tuple[str, str]:
    """GitHub shows YAML frontmatter as a one-row table above the document."""
    if not text.startswith("---\n"):
        return "", text
    head, _, body = text[4:].partition("\n---\n")
    data: dict[str, Any] = yaml.safe_load(head) or {}
    cells = "".join(f"<th>{html.escape(str(k))}</th>" for k in data)
    values = "".join(f"<td>{html.escape(str(v))}</td>" for v in data.values())
    table = f'<table data-frontmatter="yes"><thead><tr>{cells}</tr></thead>'
    return table + f"<tbody><tr>{values}</tr></tbody></table>\n", body


_ALERT = re.compile(r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n", re.M)
_MERMAID = re.compile(r'<pre><code class="language-mermaid">(.*?)</code></pre>', re.S)


def _alerts(body: str) -> str:
    """`> [!WARNING]` quotes as GitHub's alerts (the markup its stylesheet styles)."""

    def one(m: re.Match[str]) -> str:
        kind = m.group(1).lower()
        return (
            f'<div class="markdown-alert markdown-alert-{kind}">\n'
            f'<p class="markdown-alert-title">{kind.capitalize()}</p>\n<p>'
        )

    out = _ALERT.sub(one, body)
    # Close each converted alert where its blockquote closed.
    parts = out.split('<div class="markdown-alert')
    fixed = [parts[0]]
    for part in parts[1:]:
        fixed.append(part.replace("</blockquote>", "</div>", 1))
    return '<div class="markdown-alert'.join(fixed)


def _tasks(body: str) -> str:
    """GFM task list items (`- [x] done`) as GitHub's disabled checkboxes."""
    box = '<li class="task-list-item"><input type="checkbox" disabled{}> '
    body = body.replace("<li>[x] ", box.format(" checked"))
    return body.replace("<li>[ ] ", box.format(""))


def to_html(markdown: str, found: Assets) -> str:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    table, body = _frontmatter(markdown)
    rendered = _tasks(_alerts(md.render(body)))
    if found.mermaid is not None:
        rendered = _MERMAID.sub(r'<pre class="mermaid">\1</pre>', rendered)
    script = f'<script src="{found.mermaid.as_uri()}"></script>' if found.mermaid else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<style>{found.css}\nbody {{ margin: 0; background: #fff; }}\n"
        f".markdown-body {{ box-sizing: content-box; width: {WIDTH}px; padding: {PADDING}px; }}"
        "\n#measure { display: none; }\npre.mermaid { background: none; }"
        f"</style>{script}</head>"
        f'<body><article class="markdown-body">{table}{rendered}</article>'
        f'<pre id="measure"></pre>{MEASURE}</body></html>'
    )


def _run(browser: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    return done.stdout


def measure(page: Path, browser: str) -> dict[str, Any]:
    """What the page reports after mermaid ran: table widths, charts, height."""
    with tempfile.TemporaryDirectory(prefix="tokenbook-chromium-") as profile:
        dom = _run(browser, Path(profile), "--dump-dom", page.as_uri())
    m = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert m, f"the page reported nothing: {dom[-2000:]}"
    assert m.group(1), f"the page reported nothing: {dom[-2000:]}"
    report: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    return report


def screenshot(page: Path, browser: str, out: Path, height: int) -> None:
    width = WIDTH + 2 * PADDING
    with tempfile.TemporaryDirectory(prefix="tokenbook-chromium-") as profile:
        _run(
            browser,
            Path(profile),
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            page.as_uri(),
        )
