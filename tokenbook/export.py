"""Ledger rows with their cost, for spreadsheets and expense reports (CSV or JSON).

A row is split by the action its responses belong to (`action_type`: skill, agent, main,
manual or scheduled; `action_name`: the skill, the agent's type or the turn's slash command),
so a ledger row whose session ran a skill becomes one line for the skill's part and one for the
rest; the numbers of the lines of one ledger row add up to it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tokenbook.actions import labelled
from tokenbook.escape import csv_cell
from tokenbook.ledger import COLUMNS as LEDGER_COLUMNS
from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.pricing import PriceBook
from tokenbook.reports import Filter
from tokenbook.reports import usd_text
from tokenbook.store import LedgerSet

# a ledger row (split by action), its bet and cost
COLUMNS = ("bet", *LEDGER_COLUMNS, "action_type", "action_name", "cost_usd", "unpriced")


def export_rows(ledgers: LedgerSet, book: PriceBook, keep: Filter) -> list[dict[str, Any]]:
    """One record per ledger row, ordered by day, bet and row key. `cost_usd` is an exact
    decimal string, or None with the reason in `unpriced`."""
    out = []
    split = sorted(
        (x for x in labelled(ledgers, "action", rows=True) if keep.keeps(x.placed)),
        key=lambda x: (x.placed.row.date, x.placed.ledger, x.placed.row.key, x.label),
    )
    for x in split:
        p = x.placed
        row, priced = p.row, book.price(p.row)
        kind, name = x.label.split("\t", 1)
        out.append(
            {
                "bet": p.ledger,
                "date": row.date.isoformat(),
                "session": row.session,
                "model": row.model,
                "agent": row.agent,
                "speed": row.speed,
                "geo": row.geo,
                "prompt_over": row.prompt_over,
                "responses": row.responses,
                **{k: getattr(row.tokens, k) for k in TOKEN_COLUMNS},
                "web_search": row.web_search,
                "web_fetch": row.web_fetch,
                "first": row.first.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "last": row.last.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "project": row.project,
                "branch": row.branch,
                "action_type": kind,
                "action_name": name,
                "cost_usd": usd_text(priced.usd),
                "unpriced": priced.unpriced or None,
            }
        )
    return [{k: _text(v) for k, v in r.items()} for r in out]


def _text(value: Any) -> Any:
    """A lone surrogate (a hand-edited ledger's `\\ud800`) as `\\ud800` text: every output
    format is UTF-8, which cannot hold it."""
    if isinstance(value, str) and not value.isprintable():
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def to_csv(records: list[dict[str, Any]]) -> str:
    """RFC 4180 CSV with a header; empty cells for null cost and reason. A text cell that a
    spreadsheet would run as a formula gets a leading `'` (`escape.csv_cell`)."""
    buffer = _LineFeeds()
    # "\r\n" makes the writer quote a field holding a lone CR too; rows still end in "\n".
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in record.items()})
    return buffer.getvalue()


class _LineFeeds(io.StringIO):
    """A buffer for `csv.writer` (one `write` per row) that ends each row with "\n"."""

    def write(self, text: str) -> int:
        return super().write(text.removesuffix("\r\n") + "\n")


def to_json(records: list[dict[str, Any]]) -> str:
    return json.dumps({"rows": records}, indent=2, ensure_ascii=False) + "\n"
