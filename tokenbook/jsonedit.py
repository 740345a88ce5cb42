"""Read and rewrite a JSON settings file while keeping what the user wrote, as far as JSON allows.

Numbers are kept as their text (`1e999` stays `1e999`, never `Infinity`; `1.50` stays `1.50`),
keys keep their order, and the file keeps its indentation, line endings and final newline.
What JSON cannot tell apart (spaces inside a line, `\\u00e9` versus `é`) comes back in the
usual form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_INDENT = re.compile(r"^([ \t]+)\S", re.M)


@dataclass(frozen=True, slots=True)
class RawNumber:
    """A JSON number exactly as written (also the non-standard `NaN` and `Infinity`)."""

    text: str


class DuplicateKey(ValueError):
    """One object holds the same key twice: rewriting it would silently drop one value."""


@dataclass(frozen=True, slots=True)
class Layout:
    indent: str | None  # None: the file was one line
    final_newline: bool
    newline: str = "\n"  # or "\r\n", as the file had it


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def loads(text: str) -> Any:
    """Parse JSON keeping every number's text; raise json.JSONDecodeError or DuplicateKey."""
    return json.loads(
        text,
        parse_float=RawNumber,
        parse_int=RawNumber,
        parse_constant=RawNumber,
        object_pairs_hook=_pairs,
    )


def layout(text: str) -> Layout:
    """The indentation unit (the first indented line's) and whether the text ends in a newline."""
    stripped = text.strip()
    newline = "\r\n" if "\r\n" in text else "\n"
    if stripped and "\n" not in stripped:
        return Layout(None, text.endswith("\n"), newline)
    found = _INDENT.search(text)
    indent = found.group(1) if found else "  "
    return Layout(indent, text.endswith("\n") or not stripped, newline)


def dumps(value: Any, style: Layout) -> str:
    """`value` as JSON in the given layout (json.dumps' shape: `"key": value`, one per line)."""
    out = _dump(value, style.indent, 0) + ("\n" if style.final_newline else "")
    return out.replace("\n", style.newline)  # strings hold no raw newline: JSON escapes them


def _dump(value: Any, indent: str | None, depth: int) -> str:
    if isinstance(value, RawNumber):
        return value.text
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        items = [f"{_string(str(k))}: {_dump(v, indent, depth + 1)}" for k, v in value.items()]
        return _container("{", items, "}", indent, depth)
    if isinstance(value, list):
        items = [_dump(v, indent, depth + 1) for v in value]
        return _container("[", items, "]", indent, depth)
    return json.dumps(value)  # True, False, None, and numbers added by us


def _container(open_: str, items: list[str], close: str, indent: str | None, depth: int) -> str:
    if not items:
        return open_ + close
    if indent is None:
        return open_ + ", ".join(items) + close
    inner = "\n" + indent * (depth + 1)
    return open_ + inner + ("," + inner).join(items) + "\n" + indent * depth + close


def _string(text: str) -> str:
    """Characters as they are; a lone surrogate (not encodable) as its `\\u` escape."""
    plain = json.dumps(text, ensure_ascii=False)
    try:
        plain.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(text)
    return plain
