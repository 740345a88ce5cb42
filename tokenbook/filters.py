"""Filters the templates use: numbers, money, bars, links and escaped text, all byte-stable.

Templates see plain data only (`tokenbook.plain`), so these take strings, numbers, decimals and
dicts, never the view models themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from decimal import ROUND_HALF_UP
from decimal import Context
from decimal import Decimal
from decimal import localcontext
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from tokenbook import escape
from tokenbook.money import models_text
from tokenbook.reports import Usage

WIKILINKS = "wikilinks"
_WIKI_SAFE = re.compile(r"[a-z0-9][a-z0-9._/-]*")
_SPAN = re.compile(r"`([^`|\n]+)`")


def round_half_up(value: Decimal, places: int) -> Decimal:
    """`value` to `places` decimals, however large it is (`quantize` in the default context
    fails past 28 digits, and a figure from a hostile log can be that large)."""
    digits = max(value.adjusted(), 0) + places + 2
    with localcontext(Context(prec=max(28, digits))):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def md(value: object) -> str:
    """Text from logs or files, safe inside a markdown table cell and an Obsidian note."""
    return escape.inline(value)


def num(value: int | Decimal | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def usd(value: Decimal | None) -> str:
    if value is None:
        return "unpriced"
    return "$" + f"{round_half_up(value, 2):,}"


def cost(usage: Usage) -> str:
    """The priced cost; `≥ $X` when part of the usage has no price, never `$0` for it."""
    return _cost(bool(usage.unpriced), usage.priced_usd)


def plain_cost(usage: Mapping[str, Any]) -> str:
    """`cost` of a usage as templates see it (plain data)."""
    return _cost(bool(usage["unpriced"]), usage["priced_usd"])


def _cost(unpriced: bool, priced_usd: Decimal) -> str:
    if not unpriced:
        return usd(priced_usd)
    if priced_usd:
        return "≥" + usd(priced_usd)
    return "unpriced"


def pct(value: Decimal | float | None) -> str:
    """A whole percentage; a float (a template's own division of two counts) as its decimal."""
    if value is None:
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{round_half_up(number, 0)}%"


def bar(value: Decimal | float | None, width: int = 10) -> str:
    """A text progress bar for a percentage (clamped to 0..100)."""
    percent = Decimal(str(value or 0))
    share = min(max(percent, Decimal(0)), Decimal(100)) / 100
    filled = int(round_half_up(share * width, 0))
    return "█" * filled + "░" * (width - filled)


def compact(value: int | None) -> str:
    if value is None:
        return "—"
    for size, unit in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= size:
            return f"{Decimal(value) / size:.1f}{unit}"
    return str(value)


def alerts(thresholds: tuple[int, ...]) -> str:
    return ", ".join(f"{t}%" for t in thresholds) or "—"


def amount(value: Decimal | None, floor: bool) -> str:
    """A dollar figure that may leave unpriced usage out: `≥$X` when `floor`, `unpriced` when
    nothing of it is priced; never `$0` for usage with no price."""
    if value is None:
        return "—"
    if not floor:
        return usd(value)
    return "≥" + usd(value) if value else "unpriced"


def dec(value: Decimal | int | None, places: int = 2) -> str:
    """A plain number with `places` decimals and no separators (chart data)."""
    return "0" if value is None else str(round_half_up(Decimal(value), places))


def link(text: object, href: str, style: str, up: str = "") -> str:
    """A link to a file of the vault (`href`, from the vault's root). With `style` `wikilinks`,
    Obsidian's `[[name]]` (a bet's or cycle's name, any other file's path); else a markdown link
    relative to the rendered file (`up` is `../` from `progress/`), which GitHub and Obsidian
    both follow. Plain text when there is no file (`href` empty)."""
    label = escape.inline(text)
    if not href:
        return label
    if style == WIKILINKS:
        path = PurePosixPath(href)
        name = path.stem if path.parent.name in ("bets", "cycles") else str(path.with_suffix(""))
        return f"[[{name}]]" if _WIKI_SAFE.fullmatch(name) else label
    return f"[{label}]({quote(up + href, safe='/')})"


def message(text: object) -> str:
    """A message of tokenbook's (a warning with its fix) as markdown: its `code` spans stay code,
    the rest is escaped like any text."""
    out, at = [], 0
    raw = " ".join(str(text).split())
    for m in _SPAN.finditer(raw):
        out += [_text(raw[at : m.start()]), f"`{escape.visible(m.group(1))}`"]
        at = m.end()
    return "".join([*out, _text(raw[at:])])


def _text(piece: str) -> str:
    """Escaped text that keeps the spaces at its edges (next to a code span)."""
    core = escape.inline(piece)
    if not core:
        return " " if piece else ""
    return (" " if piece[0] == " " else "") + core + (" " if piece[-1] == " " else "")


def unpriced_note(usage: Mapping[str, Any]) -> str:
    """`unpriced_line` of a usage as templates see it (plain data)."""
    return unpriced_line(usage["unpriced_tokens"], usage["unpriced_models"])


def unpriced_line(tokens: int, names: Iterable[str]) -> str:
    """One line for usage with no price: the tokens it concerns and their models."""
    models = models_text(escape.code(m) for m in sorted(names))
    return (
        f"{tokens:,} tokens of {models} have no price in `pricing/`: every dollar figure marked "
        "≥ counts the priced part only, and nothing here counts them as $0."
    )


FILTERS: dict[str, Callable[..., Any]] = {
    "md": md,
    "code": escape.code,
    "num": num,
    "usd": usd,
    "pct": pct,
    "bar": bar,
    "compact": compact,
    "alerts": alerts,
    "cost": plain_cost,
    "amount": amount,
    "dec": dec,
    "link": link,
    "message": message,
    "unpriced_note": unpriced_note,
}
