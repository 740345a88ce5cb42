"""Tables that fit the terminal: text columns are clipped, then low-value columns dropped and
numbers abbreviated, in that order, until the table fits the width it is given.

Each form is tried in turn; the first whose narrowest layout fits is used, and its clippable
text columns share whatever room is left (so a wide terminal shows them whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokenbook.term import shown_width

GAP = "  "
SUB = "  "  # indent of a sub-line (a model under its row); clipping keeps it
FULL_UNTIL = 2  # columns of drop level 1..2 go before numbers are abbreviated


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    header: str
    cells: Sequence[str]
    right: bool = False  # numbers are right-aligned
    short: Sequence[str] | None = None  # the abbreviated cells (1.2M), when they differ
    drop: int = 0  # 0: always shown; else dropped at this level (lower levels first)
    clip: int = 0  # 0: never clipped; else the narrowest it may become
    keep_end: bool = False  # clip the start (paths), not the end


def clip(text: str, width: int, keep_end: bool = False) -> str:
    """At most `width` columns; `…` marks what was cut (the start of a path, else the end)."""
    if shown_width(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    if keep_end:
        out = text
        while shown_width(out) > width - 1:
            out = out[1:]
        return "…" + out
    out = text
    while shown_width(out) > width - 1:
        out = out[:-1]
    return out + "…"


def _clip_cell(text: str, width: int, keep_end: bool) -> str:
    indent = SUB if text.startswith(SUB) else ""
    return indent + clip(text[len(indent) :], width - len(indent), keep_end)


def _natural(c: Column, cells: Sequence[str]) -> int:
    return max([shown_width(c.header), *(shown_width(x) for x in cells)])


def _forms(columns: Sequence[Column]) -> list[tuple[bool, int]]:
    top = max((c.drop for c in columns), default=0)
    full = [(False, k) for k in range(min(FULL_UNTIL, top) + 1)]
    short = [(True, k) for k in range(min(FULL_UNTIL, top), top + 1)]
    return full + short


def _share(room: int, lows: list[int], highs: list[int]) -> list[int]:
    """Widths between `lows` and `highs` adding up to at most `room`: each column from the left
    grows to its natural width while room is left (the first text column matters most)."""
    widths = list(lows)
    left = room - sum(widths)
    for i, high in enumerate(highs):
        grow = max(0, min(high - widths[i], left))
        widths[i] += grow
        left -= grow
    return widths


def _layout(
    columns: Sequence[Column], short: bool, level: int, width: int
) -> tuple[list[Column], list[Sequence[str]], list[int], bool]:
    kept = [c for c in columns if not 0 < c.drop <= level]
    cells = [c.short if short and c.short is not None else c.cells for c in kept]
    natural = [_natural(c, x) for c, x in zip(kept, cells, strict=True)]
    clippable = [i for i, c in enumerate(kept) if c.clip]
    fixed = sum(n for i, n in enumerate(natural) if i not in clippable)
    room = width - fixed - len(GAP) * (len(kept) - 1)
    lows = [min(natural[i], max(kept[i].clip, shown_width(kept[i].header))) for i in clippable]
    fits = sum(lows) <= room
    shared = _share(max(room, sum(lows)), lows, [natural[i] for i in clippable])
    for i, w in zip(clippable, shared, strict=True):
        natural[i] = w
    return kept, cells, natural, fits


def fit(columns: Sequence[Column], width: int, totals: bool = True) -> list[str]:
    """The table's lines: header, rule, rows (a rule before the last when `totals`)."""
    forms = _forms(columns)
    for n, (short, level) in enumerate(forms):
        kept, cells, widths, fits = _layout(columns, short, level, width)
        if fits or n == len(forms) - 1:
            break
    rows = len(cells[0]) if cells else 0
    body = [
        [
            _clip_cell(x[r], w, c.keep_end) if c.clip else x[r]
            for c, x, w in zip(kept, cells, widths, strict=True)
        ]
        for r in range(rows)
    ]
    rule = GAP.join("-" * w for w in widths)
    lines = [_line([c.header for c in kept], kept, widths), rule]
    lines += [_line(r, kept, widths) for r in body]
    if totals and rows > 1:
        lines.insert(-1, rule)
    return lines


def _line(cells: Sequence[str], columns: Sequence[Column], widths: Sequence[int]) -> str:
    parts = []
    for text, c, w in zip(cells, columns, widths, strict=True):
        pad = " " * max(0, w - shown_width(text))
        parts.append(pad + text if c.right else text + pad)
    return GAP.join(parts).rstrip()
