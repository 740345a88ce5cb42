"""The JSON form of reports: field names are a documented interface (add fields, never rename)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from typing import Any

from tokenbook.localdays import iso_week
from tokenbook.reports import Bucket
from tokenbook.reports import Report
from tokenbook.reports import Usage
from tokenbook.reports import usd_text
from tokenbook.reports import utc_text

if TYPE_CHECKING:  # blocks and outcomes load only for the reports that show them
    from tokenbook.blocks import BlocksReport
    from tokenbook.blocks import Burn
    from tokenbook.outcome_view import Yield


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


# `--breakdown PART` (other than model): the key of each row's mapping of parts
PART_KEYS = {"agent": "agents", "run": "runs", "command": "commands", "skill": "skills"}


def bucket_json(b: Bucket, part: str = "") -> dict[str, Any]:
    out = usage_json(b.usage)
    out["models"] = {m: usage_json(u) for m, u in sorted(b.models.items())}
    if part:
        out[PART_KEYS[part]] = {p: usage_json(u) for p, u in sorted(b.parts.items())}
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
        rows.append(row | bucket_json(b, report.part))
    return {"rows": rows, "totals": bucket_json(report.totals, report.part)}


def bet_rows_json(out: dict[str, Any], yields: dict[str, Yield]) -> dict[str, Any]:
    """`report bet`: each row with what its usage bought (`outcome_view.yield_json`)."""
    from tokenbook.outcome_view import yield_json

    for row in out["rows"]:
        found = yields.get(row["bet"])
        if found is not None:
            row |= yield_json(found)
    return out


def burn_json(burn: Burn, priced: bool) -> dict[str, Any]:
    """Rates rounded (tokens to whole numbers, dollars to 6 decimals); money is null when part
    of the block has no price."""
    from tokenbook.blocks import RATE
    from tokenbook.blocks import whole

    return {
        "elapsed_minutes": whole(burn.minutes),
        "tokens_per_minute": whole(burn.tokens_per_minute),
        "usd_per_hour": usd_text(burn.usd_per_hour.quantize(RATE)) if priced else None,
        "remaining_minutes": whole(burn.remaining_minutes),
        "projected_total_tokens": burn.projected_tokens,
        "projected_cost_usd": usd_text(burn.projected_usd.quantize(RATE)) if priced else None,
    }


def blocks_json(report: BlocksReport) -> dict[str, Any]:
    rows = []
    for b in report.blocks:
        row: dict[str, Any] = {
            "block": utc_text(b.start),
            "start": utc_text(b.start),
            "end": utc_text(b.end),
            "first": utc_text(b.first),
            "last": utc_text(b.last),
            "active": b is report.active,
            "source": b.source,
        }
        row |= bucket_json(b.bucket)
        if b is report.active:
            u = b.bucket.usage
            burn = burn_json(report.burn, not u.unpriced) if report.burn else None
            # Money is null when part of the block is unpriced; the tokens say how much.
            row["burn_rate"] = burn and burn | {"unpriced_tokens": u.unpriced_tokens}
        rows.append(row)
    return {
        "now": utc_text(report.now),
        "rows": rows,
        "totals": bucket_json(report.totals),
    }
