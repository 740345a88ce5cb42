"""Text from logs and vault files, made inert for each format it reaches.

- markdown (rendered files): `inline()` for running text and table cells, `code()` for ids;
- a markdown table that tokenbook reads back (`limits.md`): `cell()` / `uncell()`, lossless;
- CSV: `csv_cell()` keeps a spreadsheet from reading a cell as a formula;
- the terminal: `terminal()` shows control characters and escape sequences as `\\xNN` text.

Invisible characters are written as `\\uXXXX` in every format: C0/C1 controls, line and
paragraph separators, bidi overrides and other format characters (zero-width joiners aside, which
emoji need), and lone surrogates, which cannot be written as UTF-8 at all.
"""

from __future__ import annotations

import re
import unicodedata

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})
# Characters markdown, GFM or Obsidian act on: emphasis, code, links and wikilinks, HTML,
# table pipes, headings and tags, strikethrough, highlights, math, comments.
_MARKUP = re.compile(r"([\\`*_\[\]<>|#~=$%])")
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:/@+-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def hidden(ch: str) -> bool:
    """A character that is invisible, ends a line for some reader, or cannot be encoded."""
    return ch not in _JOINERS and unicodedata.category(ch) in _HIDDEN


def _code_point(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def visible(text: str) -> str:
    """Hidden characters as `\\uXXXX` text; everything else unchanged."""
    if text.isprintable():
        return text
    return "".join(_code_point(ch) if hidden(ch) else ch for ch in text)


def inline(value: object) -> str:
    """Running markdown text: one line (whitespace runs become one space), markup escaped."""
    text = visible(" ".join(str(value).split()))
    return _MARKUP.sub(r"\\\1", text)


def code(value: object) -> str:
    """An id as a code span when it is plain (letters, digits, `._:/@+-`), else as escaped text:
    a backtick or pipe inside a code span would end the span or split the table cell."""
    text = str(value)
    return f"`{text}`" if _PLAIN_ID.fullmatch(text) else inline(text)


def cell(value: str) -> str:
    """A table cell `uncell()` reads back exactly: `\\`, `|` and hidden characters escaped,
    markup a viewer acts on (`<`, `>`, `[`, `]`, `` ` ``, `*`, `_`, `~`) too."""
    out = []
    for ch in value:
        if ch in "\\|<>[]`*_~":
            out.append("\\" + ch)
        elif hidden(ch) or (ch.isspace() and ch != " "):
            out.append(_code_point(ch))
        else:
            out.append(ch)
    text = "".join(out)
    # Readers strip a cell's surrounding spaces, so edge spaces are written as code points.
    head = len(text) - len(text.lstrip(" "))
    tail = max(len(text.rstrip(" ")), head)
    return "\\u0020" * head + text[head:tail] + "\\u0020" * (len(text) - tail)


_UNCELL = re.compile(r"\\(u[0-9a-f]{4}|U[0-9a-f]{8}|.)", re.DOTALL)


def uncell(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        return chr(int(s[1:], 16)) if len(s) > 1 else s

    return _UNCELL.sub(one, text)


def split_row(line: str) -> list[str]:
    """The raw cells of `| a | b\\|c |`, split on unescaped pipes (not yet `uncell`ed)."""
    body = line.strip().removeprefix("|")
    cells: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in body:
        if escaped or ch != "|":
            current.append(ch)
            escaped = not escaped and ch == "\\"
        else:
            cells.append("".join(current).strip())
            current = []
    if current or not cells:
        cells.append("".join(current).strip())
    return cells


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
    leading `'`, which spreadsheets show as text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def terminal(text: str, *, keep_newlines: bool = True) -> str:
    """Text safe to print: escape sequences and other control characters shown as `\\xNN`."""
    if text.isprintable():
        return text
    kept = "\n\t" if keep_newlines else ""
    return "".join(ch if ch in kept or not hidden(ch) else _terminal_code(ch) for ch in text)


def _terminal_code(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else _code_point(ch)
