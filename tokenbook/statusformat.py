"""The status line's text: the bet's share of its appetite in colour, and the plan windows Claude
Code reports."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

UNASSIGNED = "unassigned"  # tokenbook.model.UNASSIGNED
COLOURS = ((100, "31"), (90, "38;5;208"), (75, "33"), (0, "32"))  # red, orange, yellow, green


def colour(text: str, percent: float, enabled: bool) -> str:
    if not enabled:
        return text
    code = next(c for limit, c in COLOURS if percent >= limit)
    return f"\x1b[{code}m{text}\x1b[0m"


def windows(payload: Mapping[str, Any]) -> list[str]:
    limits = payload.get("rate_limits")
    if not isinstance(limits, dict):
        return []
    out = []
    for key, label in (("five_hour", "5h"), ("seven_day", "7d")):
        window = limits.get(key)
        used = window.get("used_percentage") if isinstance(window, dict) else None
        if isinstance(used, int | float) and not isinstance(used, bool):
            out.append(f"{label} {used:.0f}%")
    return out


def format_line(summary: Mapping[str, Any], bet_id: str, windows: list[str], ansi: bool) -> str:
    bet = next((b for b in summary["bets"] if b["id"] == bet_id), None)
    if bet_id == UNASSIGNED or bet is None:
        parts = [f"tokenbook: {bet_id} (no bet claims this session)"]
    elif bet["percent"] is None:
        parts = [f"tokenbook: {bet_id} (no appetite to compare with)"]
    else:
        parts = [f"tokenbook: {bet_id} {_share(bet, ansi)}"]
    if windows:
        parts.append("plan " + " ".join(windows))
    return " · ".join(parts)


def _share(bet: Mapping[str, Any], ansi: bool) -> str:
    """`42% of appetite ($4.20/$10.00)`; with unpriced usage the dollar figures are floors:
    `≥42% of appetite (≥$4.20/$10.00, 1.2M tok unpriced)`, never a plain total."""
    percent = float(bet["percent"])
    by_usd = bet["appetite_usd"] is not None
    floor = "≥" if by_usd and bet.get("unpriced") else ""
    shown = colour(f"{floor}{percent:.0f}%", percent, ansi)
    if not by_usd:
        amount = f"{_short(bet['used_tokens'])}/{_short(bet['appetite_tokens'])} tokens"
    elif floor:
        used = f"≥${bet['used_usd']}" if float(bet["used_usd"]) else "unpriced"
        amount = f"{used}/${bet['appetite_usd']}, {_short(bet.get('unpriced_tokens'))} tok unpriced"
    else:
        amount = f"${bet['used_usd']}/${bet['appetite_usd']}"
    return f"{shown} of appetite ({amount})"


def _short(value: int | None) -> str:
    if value is None:
        return "—"
    for size, unit in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)
