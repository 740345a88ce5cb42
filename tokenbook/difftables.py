"""The tables of `tokenbook diff`: figures, changes and the folded list of new sessions.

Markdown for a pull request on GitHub: numbers right-aligned, money never `$0` for usage with
no price (`≥$X`, `unpriced`), text from logs escaped.
"""

from __future__ import annotations

from decimal import Decimal

from tokenbook import escape
from tokenbook.dashboard import BetView
from tokenbook.model import Vault
from tokenbook.money import amount
from tokenbook.pricing import PriceBook
from tokenbook.reports import Usage
from tokenbook.store import LedgerSet


def usd(value: Decimal | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def tokens(value: int) -> str:
    return f"{value:,}"


def cost(usage: Usage) -> str:
    """The priced cost, `≥$X` when part has no price, `unpriced` when none has: never $0."""
    return amount(usage.priced_usd, bool(usage.unpriced))


def signed(value: Decimal, unit: str, places: int) -> str:
    """`+$0.34`, `-$0.31`, `±$0.00` (a change that rounds to zero has no sign)."""
    rounded = round(value, places)
    sign = "±" if rounded == 0 else "+" if rounded > 0 else "-"
    return f"{sign}{unit}{abs(rounded):,.{places}f}"


def usd_change(was: Usage | None, now: Usage) -> str:
    """The change of the priced cost; `+ unpriced` when usage with no price was added too."""
    before = was.priced_usd if was else Decimal(0)
    more = now.unpriced_tokens > (was.unpriced_tokens if was else 0)
    change = signed(now.priced_usd - before, "$", 2)
    if not more:
        return change
    return "+ unpriced" if change == "±$0.00" else change + " + unpriced"


def changed(was: BetView | None, now: BetView | None) -> bool:
    """Anything a reviewer would want to see: usage, cost (a price change moves cost alone),
    the share of the appetite, alerts, sessions, or the bet itself appearing or going."""
    if was is None or now is None:
        return was is not now
    return (
        was.usage.tokens != now.usage.tokens
        or was.usage.priced_usd != now.usage.priced_usd
        or was.usage.unpriced_tokens != now.usage.unpriced_tokens
        or was.percent != now.percent
        or was.alerts != now.alerts
        or was.usage.sessions != now.usage.sessions
    )


def bet_row(bet_id: str, was: BetView | None, now: BetView | None) -> str:
    if now is None:
        assert was is not None
        gone = f"— (was {cost(was.usage)}) | — (was {tokens(was.used_tokens)})"
        return f"| {bet_id} (removed) | {gone} | — | — | — |"
    before_tok = was.used_tokens if was else 0
    money = f"{cost(now.usage)} ({usd_change(was.usage if was else None, now.usage)})"
    count = f"{tokens(now.used_tokens)} ({token_change(now.used_tokens - before_tok)})"
    share = pct(now.percent)
    if now.percent is not None:
        base = was.percent if was is not None and was.percent is not None else Decimal(0)
        floor = now.usage.unpriced and now.appetite_usd is not None
        share = ("≥" if floor else "") + share
        share += f" ({signed(now.percent - base, '', 0)} pts)"
    added = len(now.usage.sessions - (was.usage.sessions if was else set()))
    alerts = [t for t in now.alerts if t not in (was.alerts if was else ())]
    new_alerts = ", ".join(f"{t}%" for t in alerts) or "—"
    return f"| {bet_id} | {money} | {count} | {share} | {added} | {new_alerts} |"


def token_change(value: int) -> str:
    """`+1,234`, `+13.4M`, `±0`: exact below a million, compact above (the total is exact)."""
    if abs(value) < 1_000_000:
        return signed(Decimal(value), "", 0)
    sign = "+" if value > 0 else "-"
    return f"{sign}{Decimal(abs(value)) / 1_000_000:.1f}M"


NewSession = tuple[str, str, str, Usage]  # first day, bet, session, its usage in the bet


def new_sessions(
    vault: Vault | None, ledgers: LedgerSet | None, bet_id: str, added: set[str]
) -> list[NewSession]:
    """The sessions new in a bet, with their usage there."""
    if not added or vault is None or ledgers is None:
        return []
    book = PriceBook(vault)
    usage: dict[str, Usage] = {}
    first: dict[str, str] = {}
    for row in ledgers.by_ledger().get(bet_id, []):
        if row.session in added:
            usage.setdefault(row.session, Usage()).add(row, book)
            first[row.session] = min(first.get(row.session, "9999"), row.date.isoformat())
    return [(first[s], bet_id, s, usage[s]) for s in sorted(usage)]


def folded(sessions: list[NewSession]) -> list[str]:
    """New sessions in a `<details>` block: a reviewer opens it when they care."""
    if not sessions:
        return []
    bets = len({bet for _, bet, _, _ in sessions})
    rows = [
        f"| {bet} | {escape.code(s)} | {day} | {tokens(u.tokens.total)} | {cost(u)} |"
        for day, bet, s, u in sorted(sessions)
    ]
    return [
        "<details>",
        f"<summary>{len(sessions)} new session(s) in {bets} bet(s)</summary>",
        "",
        "| Bet | Session | First day | Tokens | Cost (priced) |",
        "|---|---|---|--:|--:|",
        *rows,
        "",
        "</details>",
        "",
    ]
