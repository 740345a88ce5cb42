"""Grouping log responses into ledger rows without a ledger (plan windows and blocks read the
responses the logs hold: `logview.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tokenbook.events import UsageEvent
from tokenbook.ledger import Key
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import prompt_band


@dataclass(slots=True)
class _Group:
    row: LedgerRow


def event_key(e: UsageEvent, tz: ZoneInfo) -> Key:
    """The key of the ledger row an event adds to (the same as that row's `key`)."""
    day = e.at.astimezone(tz).date().isoformat()
    return (day, e.session, e.model, e.agent, e.speed, e.geo, prompt_band(e.tokens.prompt))


def group_events(events: Iterable[UsageEvent], timezone: str) -> dict[Key, _Group]:
    """Sum responses into rows: one per session, local day, model, agent, speed, region and
    prompt band."""
    tz = ZoneInfo(timezone)
    sums: dict[Key, list[UsageEvent]] = {}
    for e in events:
        sums.setdefault(event_key(e, tz), []).append(e)
    out = {}
    for key, es in sums.items():
        es.sort(key=lambda e: (e.at, e.key))
        total = es[0].tokens
        for e in es[1:]:
            total = total + e.tokens
        first = es[0]
        out[key] = _Group(
            LedgerRow(
                date=first.at.astimezone(tz).date(),
                session=first.session,
                model=first.model,
                agent=first.agent,
                speed=first.speed,
                geo=first.geo,
                prompt_over=key[6],
                responses=len(es),
                tokens=total,
                web_search=sum(e.web_search for e in es),
                web_fetch=sum(e.web_fetch for e in es),
                first=first.at,
                last=max(e.at for e in es),
                project=first.project,
                branch=first.branch,
            )
        )
    return out
