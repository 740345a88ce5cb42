"""The markdown ledger of ledger format 2 (`ledgers/<bet>.md`): a summary a reviewer reads.

Written from the bet's records (`ledgers/<bet>.tsv`), never read back for figures: one row per
day, session, model, agent and pricing variant, narrow enough for a pull request (date, session,
model, agent and tokens in view; speed, region, prompt band, web tools, project and branch folded
into one `notes` cell). Every text from a log is escaped for markdown.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenbook.ledger import SUMMARY_FORMAT
from tokenbook.ledger import LedgerRow
from tokenbook.model import UNASSIGNED

SESSION_CHARS = 8
_MARKUP = set("\\|<>[]*_`~#&$!")


def cell(value: str) -> str:
    """Markdown-inert text: markup characters backslash-escaped, invisible ones as `\\uXXXX`."""
    out = []
    for ch in value:
        if ch in _MARKUP:
            out.append("\\" + ch)
        elif not ch.isprintable() or (ch.isspace() and ch != " "):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out).strip() or ("\\u0020" if value else "")


def _band(prompt_over: int) -> str:
    return f"prompt >{prompt_over // 1000}k" if prompt_over else ""


def notes(row: LedgerRow) -> str:
    parts = [
        row.speed if row.speed != "standard" else "",
        f"region {row.geo}" if row.geo else "",
        _band(row.prompt_over),
        f"{row.web_search} web search" if row.web_search else "",
        f"{row.web_fetch} web fetch" if row.web_fetch else "",
        f"1h cache write {row.tokens.cache_write_1h:,}" if row.tokens.cache_write_1h else "",
    ]
    place = row.project.rstrip("/").rsplit("/", 1)[-1] if row.project else ""
    if row.branch:
        place = f"{place} @ {row.branch}" if place else f"@ {row.branch}"
    return " · ".join(cell(p) for p in [*parts, place] if p)


def summary_row(row: LedgerRow) -> str:
    session = row.session[:SESSION_CHARS] + ("…" if len(row.session) > SESSION_CHARS else "")
    t = row.tokens
    values = [
        row.date.isoformat(),
        cell(session),
        cell(row.model),
        cell(row.agent),
        f"{row.responses:,}",
        f"{t.input:,}",
        f"{t.output:,}",
        f"{t.cache_write:,}",
        f"{t.cache_read:,}",
        notes(row),
    ]
    return "| " + " | ".join(values) + " |"


HEAD = (
    "| date | session | model | agent | responses | input | output | cache write | cache read "
    "| notes |"
)
RULE = "|---|---|---|---|--:|--:|--:|--:|--:|---|"


def format_summary(ledger_id: str, timezone: str, rows: Iterable[LedgerRow]) -> str:
    what = "usage no bet claims" if ledger_id == UNASSIGNED else f"usage of bet [[{ledger_id}]]"
    body = [summary_row(r) for r in sorted(rows, key=lambda r: r.key)]
    lines = [
        "---",
        f"ledger: {ledger_id}",
        f"timezone: {timezone}",
        f"format: {SUMMARY_FORMAT}",
        "---",
        f"# Ledger: {ledger_id}",
        "",
        f"Written by `tokenbook sync`: {what}, one row per day ({timezone}), session, model,",
        "agent and pricing variant. Token counts are measured from the logs; costs come from",
        f"`pricing/` when reports are made. The record is `{ledger_id}.tsv` beside this file (one",
        "line per API response, merged by git); this summary is rewritten from it. To move a",
        "session to another bet: `tokenbook assign SESSION BET`.",
        "",
        HEAD,
        RULE,
        *body,
    ]
    if not body:
        lines.append("| | | | | | | | | | no usage yet |")
    return "\n".join(lines) + "\n"
