"""Reading and writing `ledgers/<bet>.tsv` (see `records.py` for what the lines mean).

Canonical form: the header, then `c` lines by id, `l` lines by row key, `r` lines by time and
id; a value's tab, newline, backslash and invisible or line-breaking characters are escaped, so a
text from a log can never split a line. Duplicates left by a union merge are joined on reading
and gone after the next write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tokenbook.errors import Problem
from tokenbook.events import TOKEN_FIELDS
from tokenbook.events import Tokens
from tokenbook.ledger import _CONFLICT_HELP as CONFLICT_HELP
from tokenbook.ledger import COLUMNS
from tokenbook.ledger import LedgerRow
from tokenbook.ledger import format_row_cells
from tokenbook.ledger import parse_row
from tokenbook.records import HEADER
from tokenbook.records import Context
from tokenbook.records import Rec
from tokenbook.records import join
from tokenbook.records import parse_time
from tokenbook.records import time_text

_CONTEXT_FIELDS = 13
_RECORD_FIELDS = 11
_HEX = re.compile(r"[0-9a-f]+")
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPE = re.compile(r"\\(u[0-9a-f]{4}|.)", re.DOTALL)
_BACK = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape(value: str) -> str:
    if value.isprintable() and "\\" not in value:
        return value
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) <= 0xFFFF and unicodedata.category(ch) in _UNSAFE:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def unescape(cell: str) -> str:
    if "\\" not in cell:
        return cell

    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        if len(s) == 5:
            code = int(s[1:], 16)
            if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: no log gives one (they are skipped)
                raise ValueError(f"\\{s} is a lone surrogate, not text")
            return chr(code)
        if s not in _BACK:
            raise ValueError(f"unknown escape \\{s}")
        return _BACK[s]

    return _UNESCAPE.sub(one, cell)


def context_line(c: Context, cid: str | None = None) -> str:
    return "\t".join(["c", c.cid if cid is None else cid, *(escape(f) for f in c.fields())])


def record_line(r: Rec, cid: str | None = None) -> str:
    """`cid`: the context's id when the caller knows it already."""
    t = r.tokens
    values = [
        "r",
        r.id,
        r.ctx.cid if cid is None else cid,
        time_text(r.at),
        str(t.input),
        str(t.output),
        str(t.cache_write_5m),
        str(t.cache_write_1h),
        str(t.cache_read),
        str(r.web_search),
        str(r.web_fetch),
        "copy" if r.copy else "",
    ]
    return "\t".join(values)


def legacy_line(row: LedgerRow) -> str:
    return "\t".join(["l", *(escape(v) for v in format_row_cells(row))])


def format_records(records: Iterable[Rec], legacy: Iterable[LedgerRow] = ()) -> str:
    recs = sorted(records, key=lambda r: (r.at, r.id))
    cids: dict[Context, str] = {}  # each context's id hashed once
    for r in recs:
        if r.ctx not in cids:
            cids[r.ctx] = r.ctx.cid
    contexts = {cid: ctx for ctx, cid in cids.items()}
    lines = [HEADER]
    lines += [context_line(contexts[cid], cid) for cid in sorted(contexts)]
    lines += [legacy_line(row) for row in sorted(legacy, key=lambda r: r.key)]
    lines += [record_line(r, cids[r.ctx]) for r in recs]
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class ParsedRecords:
    records: dict[str, Rec]
    legacy: list[LedgerRow]
    merged: int  # lines that repeated a response (left by a union merge), joined on reading


def parse_records(text: str, label: str) -> ParsedRecords | list[Problem]:
    """Every line checked; any problem means the file must not be rewritten."""
    problems: list[Problem] = []
    contexts: dict[str, Context] = {}
    pending: list[tuple[int, list[str]]] = []
    legacy: dict[tuple[object, ...], LedgerRow] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            problems.append(Problem(label, number, CONFLICT_HELP))
            continue
        cells = line.split("\t")
        try:
            if cells[0] == "c":
                _context(cells, contexts)
            elif cells[0] == "r":
                pending.append((number, cells))
            elif cells[0] == "l":
                _add_legacy(_legacy(cells), legacy)
            else:
                raise ValueError(f"unknown line kind {cells[0][:10]!r}; expected c, r or l")
        except ValueError as e:
            problems.append(Problem(label, number, f"{e}; {_RESTORE}"))
    records, merged = _join_records(pending, contexts, label, problems)
    if problems:
        return problems
    return ParsedRecords(records, list(legacy.values()), merged)


def _join_records(
    pending: list[tuple[int, list[str]]],
    contexts: dict[str, Context],
    label: str,
    problems: list[Problem],
) -> tuple[dict[str, Rec], int]:
    records: dict[str, Rec] = {}
    merged = 0
    for number, cells in pending:
        try:
            rec = _record(cells, contexts)
        except ValueError as e:
            problems.append(Problem(label, number, f"{e}; {_RESTORE}"))
            continue
        known = records.get(rec.id)
        if known is not None:
            merged += 1
            rec = join(known, rec)
        records[rec.id] = rec
    return records, merged


_RESTORE = "restore the file from git (`git log -p` on it), or delete the line and run sync"


def _context(cells: list[str], contexts: dict[str, Context]) -> None:
    if len(cells) != _CONTEXT_FIELDS + 2:
        raise ValueError(
            f"context line has {len(cells) - 1} fields, expected {_CONTEXT_FIELDS + 1}"
        )
    f = [unescape(c) for c in cells[2:]]
    if f[9] not in ("main", "side"):
        raise ValueError(f"thread must be `main` or `side`, got {f[9]!r}")
    ctx = Context(
        source=f[0],
        session=f[1],
        project=f[2],
        branch=f[3],
        agent_id=f[4],
        agent=f[5],
        model=f[6],
        speed=f[7],
        geo=f[8],
        main=f[9] == "main",
        command=f[10],
        skill=f[11],
        run=f[12],
    )
    if ctx.cid != cells[1]:
        raise ValueError(f"context id {cells[1][:20]!r} does not match its fields (edited?)")
    contexts[ctx.cid] = ctx


def _count(text: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise ValueError(f"{name} must be a whole number, got {text[:20]!r}")
    return int(text)


def _record(cells: list[str], contexts: dict[str, Context]) -> Rec:
    if len(cells) != _RECORD_FIELDS + 1:
        raise ValueError(f"record line has {len(cells) - 1} fields, expected {_RECORD_FIELDS}")
    rid, cid, at = cells[1], cells[2], cells[3]
    if not _HEX.fullmatch(rid) or len(rid) != 24:
        raise ValueError(f"record id must be 24 hex digits, got {rid[:30]!r}")
    ctx = contexts.get(cid)
    if ctx is None:
        raise ValueError(f"record names context {cid[:20]!r}, which no `c` line defines")
    names = (*TOKEN_FIELDS, "web_search", "web_fetch")
    counts = [_count(v, n) for v, n in zip(cells[4:11], names, strict=True)]
    if cells[11] not in ("", "copy"):
        raise ValueError(f"unknown flag {cells[11][:20]!r}")
    return Rec(
        id=rid,
        ctx=ctx,
        at=parse_time(at),
        tokens=Tokens(**dict(zip(TOKEN_FIELDS, counts[:5], strict=True))),
        web_search=counts[5],
        web_fetch=counts[6],
        copy=cells[11] == "copy",
    )


def _add_legacy(row: LedgerRow, legacy: dict[tuple[object, ...], LedgerRow]) -> None:
    old = legacy.get(row.key)
    legacy[row.key] = row if old is None else max(old, row, key=LedgerRow.rank)


def _legacy(cells: list[str]) -> LedgerRow:
    if len(cells) != len(COLUMNS) + 1:
        raise ValueError(f"history line has {len(cells) - 1} fields, expected {len(COLUMNS)}")
    return parse_row(dict(zip(COLUMNS, (unescape(c) for c in cells[1:]), strict=True)))


def read_records(path: Path, label: str) -> ParsedRecords | list[Problem]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return [Problem(label, 1, f"not UTF-8; {_RESTORE}")]
    except OSError as e:
        return [Problem(label, 0, f"cannot read ({e.strerror}); check its permissions")]
    return parse_records(text, label)
