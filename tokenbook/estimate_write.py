"""An estimate written into a bet file: `estimate: {usd, low, high, on, evidence}` set in the
frontmatter, every other byte of the file unchanged (`tokenbook estimate --record`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import yaml

from tokenbook.docs import read_document
from tokenbook.errors import Problem
from tokenbook.errors import TokenbookError
from tokenbook.errors import VaultError
from tokenbook.model import EstimateRecord
from tokenbook.reports import usd_text


def estimate_line(e: EstimateRecord) -> str:
    """The frontmatter line: `estimate: {usd: 12.5, low: 6, high: 20, on: 2026-11-03, ...}`."""
    parts = [f"usd: {usd_text(e.usd)}"]
    parts += [f"low: {usd_text(e.low)}"] if e.low is not None else []
    parts += [f"high: {usd_text(e.high)}"] if e.high is not None else []
    parts += [f"on: {e.on.isoformat()}"] if e.on is not None else []
    parts += [f"evidence: {json.dumps(e.evidence, ensure_ascii=False)}"] if e.evidence else []
    return "estimate: {" + ", ".join(parts) + "}"


def with_estimate(path: Path, e: EstimateRecord) -> str:
    """The bet file's text with its `estimate:` set to `e` (replaced, or added as the last
    frontmatter line); every other line byte-identical, its line endings kept."""
    doc = read_document(path, str(path))
    if isinstance(doc, Problem):
        raise VaultError([doc])
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    lines = raw.split(newline)
    fence = doc.body_line - 1  # index of the closing `---`
    if "estimate" not in doc.meta:
        lines.insert(fence, estimate_line(e))
    else:
        first = doc.line("estimate") - 1
        last = first + 1
        while last < fence and lines[last][:1] in (" ", "\t"):
            last += 1  # the indented lines of a block mapping under the key
        lines[first:last] = [estimate_line(e)]
    text = newline.join(lines)
    _check(text, path, e)
    return text


def _check(text: str, path: Path, e: EstimateRecord) -> None:
    """The edited frontmatter must read back as the estimate written."""
    front = text.split("---", 2)[1] if text.lstrip("\ufeff").startswith("---") else ""
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError:
        meta = None
    written = meta.get("estimate") if isinstance(meta, dict) else None
    if not isinstance(written, dict) or Decimal(str(written.get("usd"))) != e.usd:
        raise TokenbookError(
            f"{path}:1: cannot write `estimate:` into this file's frontmatter automatically; "
            f"add the line `{estimate_line(e)}` by hand"
        )
