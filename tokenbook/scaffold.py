"""The files `tokenbook init` writes: a small working vault for the current month, which repeats
monthly, and a cycle for each past month the logs hold usage in."""

from __future__ import annotations

import calendar
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed
from tokenbook.model import UNASSIGNED
from tokenbook.recordfile import format_records
from tokenbook.resources import data_dir
from tokenbook.summary import format_summary

GITATTRIBUTES = """\
# tokenbook: text files with LF endings; ledger records merge by union (readers join the
# versions of a response); summaries and rendered files too (a merge leaves them stale, and the
# next sync rewrites them). Records are machine-written: folded in pull-request diffs.
*.md text eol=lf
*.tsv text eol=lf
ledgers/*.tsv merge=union linguist-generated=true
ledgers/*.md merge=union
limits.md merge=union
cost-dashboard.md merge=union
progress/*.md merge=union
"""

GITIGNORE = """\
# tokenbook: the lock and the sync cache are local and disposable.
.tokenbook.lock
.tokenbook-cache/
"""

SETTINGS = """\
---
timezone: UTC
alert_thresholds: [75, 90, 100]
iteration_unit: session
---
# tokenbook settings

`timezone` decides which day usage is counted on (keep it the same on every machine).
`alert_thresholds` are percentages of a bet's appetite. Add `logs: [path, ...]` to read Claude
Code config dirs other than the default ones.
"""


def _cycle(start: date, end: date) -> str:
    return f"""\
---
start: {start}
end: {end}
budget_usd: 400
budget_tokens: 600000000
reserve: 10%
repeat: monthly
---
# Cycle {start:%Y-%m}

Notes about this cycle's goals. `repeat: monthly`: when it ends, the next month is a cycle with
the same budget (`tokenbook cycle next` writes its file).
"""


def _past_cycle(start: date) -> str:
    return f"""\
---
start: {start}
end: {_month_end(start)}
---
# Cycle {start:%Y-%m}

Usage from before this vault: `tokenbook init` found it in the Claude Code logs. Add
`budget_usd:` to compare it with a budget, and bets to give it a purpose.
"""


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _bet(cycle: str, appetite: str, rules: str, body: str) -> str:
    return f"""\
---
cycle: "[[{cycle}]]"
appetite: {appetite}
status: active
max_iterations: 20
match:
{rules}
---
{body}
"""


def add_lines(path: Path, block: str) -> None:
    """Append the lines of `block` that `path` lacks, keeping everything already there."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    have = set(old.splitlines())
    missing = [ln for ln in block.splitlines() if ln not in have and not ln.startswith("#")]
    if not old:
        write_if_changed(path, block)
    elif missing:
        sep = "" if old.endswith("\n") else "\n"
        write_if_changed(path, old + sep + "\n".join([block.splitlines()[0], *missing]) + "\n")


def init_vault(root: Path, today: date, history: Iterable[date] = ()) -> list[str]:
    """Write a ready vault into `root` (empty or new); return the files written. `history`:
    days in past months that get a cycle of their own (usage found in the logs)."""
    if root.exists() and not root.is_dir():
        raise TokenbookError(f"{root}:0: not a folder; give `tokenbook init` a folder path")
    if (root / "tokenbook.md").exists():
        raise TokenbookError(
            f"{root / 'tokenbook.md'}:0: already a tokenbook vault; nothing written"
        )
    start = today.replace(day=1)
    end = _month_end(today)
    cycle = f"{start:%Y-%m}"
    past = sorted({d.replace(day=1) for d in history if d < start})
    add_lines(root / ".gitattributes", GITATTRIBUTES)
    add_lines(root / ".gitignore", GITIGNORE)
    files = {
        "tokenbook.md": SETTINGS,
        f"cycles/{cycle}.md": _cycle(start, end),
        "bets/first-feature.md": _bet(
            cycle,
            "50%",
            '  - branch: "feature/*"',
            "# First feature\n\nThe pitch: what and why.\n\n- [ ] first deliverable\n"
            "- [ ] second deliverable",
        ),
        "bets/maintenance.md": _bet(
            cycle,
            "30%",
            '  - branch: "fix/*"\n  - branch: "main"',
            "# Maintenance\n\nBugs, upgrades and small chores.\n\n- [ ] triage the backlog",
        ),
        "plans/max-5x.md": PLAN,
        f"ledgers/{UNASSIGNED}.md": format_summary(UNASSIGNED, "UTC", []),
        f"ledgers/{UNASSIGNED}.tsv": format_records([]),
        **{f"cycles/{month:%Y-%m}.md": _past_cycle(month) for month in past},
    }
    for name, text in files.items():
        write_if_changed(root / name, text)
    (root / "pricing").mkdir(exist_ok=True)
    for price_list in sorted(data_dir("pricing").glob("*.md")):
        shutil.copyfile(price_list, root / "pricing" / price_list.name)
        files[f"pricing/{price_list.name}"] = ""
    return sorted([*files, ".gitattributes", ".gitignore"])


PLAN = """\
---
name: Claude Max 5x
price_usd_month: 100
windows:
  - name: 5-hour
    hours: 5
    limit_tokens: 88000000
  - name: weekly
    hours: 168
---
# Claude Max 5x

Anthropic does not publish token limits; put your own observed limits here.
"""
