"""Ledger rows with their cost, for spreadsheets and expense reports (CSV or JSON)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tokenbook.escape import csv_cell
from tokenbook.ledger import COLUMNS as LEDGER_COLUMNS
from tokenbook.ledger import TOKEN_COLUMNS
from tokenbook.pricing import PriceBook
from tokenbook.reports import Filter
from tokenbook.reports import usd_text
from tokenbook.store import LedgerSet

COLUMNS = ("bet", *LEDGER_COLUMNS, "cost_usd", "unpriced")  # a ledger row, its bet and cost


def export_rows(ledgers: LedgerSet, book: PriceBook, keep: Filter) -> list[dict[str, Any]]:
    """One record per ledger row, ordered by day, bet and row key. `cost_usd` is an exact
    decimal string, or None with the reason in `unpriced`."""
    out = []
    placed = sorted(
        (p for p in ledgers.rows.values() if keep.keeps(p)),
        key=lambda p: (p.row.date, p.ledger, p.row.key),
    )
    for p in placed:
        row, priced = p.row, book.price(p.row)
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
