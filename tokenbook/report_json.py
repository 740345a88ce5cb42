"""The JSON form of reports: field names are a documented interface (add fields, never rename)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tokenbook.reports import Bucket
from tokenbook.reports import Report
from tokenbook.reports import Usage
from tokenbook.reports import iso_week
from tokenbook.reports import usd_text
from tokenbook.reports import utc_text


def usage_json(u: Usage) -> dict[str, Any]:
    t = u.tokens
    return {
        "input_tokens": t.input,
        "output_tokens": t.output,
        "cache_creation_input_tokens": t.cache_write,
        "cache_creation_5m_input_tokens": t.cache_write_5m,
        "cache_creation_1h_input_tokens": t.cache_write_1h,
        "cache_read_input_tokens": t.cache_read,
        "total_tokens": t.total,
        "web_search_requests": u.web_search,
        "responses": u.responses,
        "cost_usd": usd_text(u.usd),
        "unpriced": sorted(u.unpriced),
        "priced_usd": usd_text(u.priced_usd),
        "unpriced_tokens": u.unpriced_tokens,
        "unpriced_models": sorted(u.unpriced_models),
    }


def bucket_json(b: Bucket) -> dict[str, Any]:
    out = usage_json(b.usage)
    out["models"] = {m: usage_json(u) for m, u in sorted(b.models.items())}
    return out


def report_json(report: Report) -> dict[str, Any]:
    rows = []
    for b in report.buckets:
        row: dict[str, Any] = {report.column: b.label}
        if report.kind == "weekly":
            row["iso_week"] = iso_week(date.fromisoformat(b.label))
        if report.kind == "session":
            row |= {
                "first": utc_text(b.first) if b.first else "",
                "last": utc_text(b.last) if b.last else "",
                "bets": sorted(b.ledgers),
                "projects": sorted(b.projects),
            }
        rows.append(row | bucket_json(b))
    return {"rows": rows, "totals": bucket_json(report.totals)}
