"""Cells of format-1 ledger tables: escaping a value for a markdown cell and reading it back.

Kept for reading format-1 ledgers (migration) and writing their rows as history lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Sequence

from tokenbook.errors import Problem


def escape(value: str) -> str:
    if value.isprintable() and not _NEEDS_ESCAPE.search(value):
        return value  # the common case: ids, numbers, plain paths
    text = (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    # Markup a markdown viewer would act on (HTML, wikilinks) is escaped too.
    for ch in "<>[]":
        text = text.replace(ch, "\\" + ch)
    # Characters that end a line for some reader (U+2028, U+0085, form feed...), other control
    # and invisible format characters, and lone surrogates (not encodable as UTF-8) are written
    # `\uXXXX`, so a value from a log can never split a row or stop the file being written.
    if not text.isprintable():  # rare: every unsafe character is also not printable
        text = "".join(_code(ch) if _unsafe(ch) else ch for ch in text)
    # Readers strip the spaces around a cell, so a value's own edge whitespace is written `\uXXXX`.
    head = len(text) - len(text.lstrip())
    tail = max(len(text.rstrip()), head)
    return _code(text[:head]) + text[head:tail] + _code(text[tail:])


def _unsafe(ch: str) -> bool:
    return ord(ch) <= 0xFFFF and unicodedata.category(ch) in _UNSAFE_CATEGORIES


_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Printable text still needs escaping for these (`\n`, `\t`... are not printable).
_NEEDS_ESCAPE = re.compile(r"[\\|<>\[\]]|^\s|\s$")


def _code(chars: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" for ch in chars)


_UNESCAPE = {"\\": "\\", "|": "|", "n": "\n", "r": "\r", "t": "\t", **{c: c for c in "<>[]"}}
_ESCAPE_SEQ = re.compile(r"\\(u[0-9a-f]{4}|.)", re.DOTALL)


def _unescape(cell: str) -> str:
    if "\\" not in cell:
        return cell

    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        return chr(int(s[1:], 16)) if len(s) == 5 else _UNESCAPE.get(s, "\\" + s)

    return _ESCAPE_SEQ.sub(one, cell)


def split_cells(line: str) -> list[str]:
    """Cells of `| a | b\\|c |`: split on unescaped `|`, strip, then unescape each cell."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if "\\" not in body:  # the common case: nothing escaped
        cells = [c.strip() for c in body.split("|")]
        return cells if cells[-1] else cells[:-1]
    cells, pos = [], 0
    while True:
        m = _CELL.match(body, pos)
        text = m.group().strip() if m else ""
        end = m.end() if m else len(body)
        if end < len(body):  # stopped at an unescaped `|`
            cells.append(_unescape(text))
            pos = end + 1
            continue
        if text:
            cells.append(_unescape(text))
        return cells


# One cell's text: escape pairs (a backslash and any character), a final lone backslash, or any
# character but `\` and `|`. It stops only at an unescaped `|` or the end of the line.
_CELL = re.compile(r"(?:\\.|\\$|[^\\|])*", re.DOTALL)


def header_help(unknown: list[str], missing: list[str], columns: Sequence[str]) -> str:
    if len(missing) == len(columns):
        return (
            "the table must start with its header; restore it from git (`git log -p` on this "
            f"file): | {' | '.join(columns)} |"
        )
    parts = []
    if unknown:
        parts.append(f"unknown column(s) {', '.join(unknown)}")
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    return "; ".join(parts) + f"; the header must be: | {' | '.join(columns)} |"


def check_header(meta: Mapping[str, object], stem: str, label: str, tz: str) -> list[Problem]:
    problems = []
    if str(meta.get("ledger", stem)) != stem:
        problems.append(
            Problem(
                label,
                2,
                f"`ledger:` says {meta.get('ledger')!r} but the file is "
                f"{stem}.md; ledgers are named after their bet",
            )
        )
    if str(meta.get("timezone", tz)) != tz:
        problems.append(
            Problem(
                label,
                3,
                f"rows were bucketed by day in {meta.get('timezone')}, but the vault's timezone is "
                f"{tz}; set `timezone: {meta.get('timezone')}` back in tokenbook.md "
                "(changing the timezone of a vault that has ledgers is not supported)",
            )
        )
    return problems
