"""Typed reads of frontmatter values, each failure a located Problem with a remedy."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from tokenbook.errors import Problem

if TYPE_CHECKING:  # YAML loads only when a file is parsed
    from tokenbook.docs import Document
    from tokenbook.docs import PathKey

T = TypeVar("T")
OBSIDIAN_KEYS = frozenset({"tags", "aliases", "cssclasses", "title", "publish"})
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

# The range of every value a vault file can hold (documented in docs/security.md). Anything
# `check` accepts must render and sync, so absurd values are refused where they enter.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
MAX_COUNT = 10**15  # tokens: a quadrillion is far beyond any budget
MAX_USD = Decimal(10**9)  # any amount of money, rate or multiplier
MAX_PLACES = 12  # digits after the decimal point
MAX_TEXT = 10_000  # characters of one text value
# Control characters (tab and newline aside), which no vault value needs and which break files
# and terminals; lone surrogates (from a `"\ud800"` escape), which cannot be written as UTF-8.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class Invalid(ValueError):
    """A value that does not parse; its message says what is expected."""


class Fields:
    """Reads one mapping of a document; `close()` reports the keys nobody asked for."""

    def __init__(
        self, doc: Document, label: str, problems: list[Problem], at: PathKey = ()
    ) -> None:
        self.doc, self.label, self.problems, self.at = doc, label, problems, at
        data: Any = doc.meta
        for k in at:
            data = data[k]
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.used: set[str] = set()

    def problem(self, key: str | int | None, message: str) -> None:
        where = self.at if key is None else (*self.at, key)
        self.problems.append(Problem(self.label, self.doc.line(*where), message))

    def get(self, key: str, parse: Callable[[Any], T], *, required: bool = False) -> T | None:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                self.problem(None, f"missing `{key}`; add a line `{key}: ...`")
            return None
        try:
            return parse(self.data[key])
        except Invalid as e:
            self.problem(key, f"`{key}`: {e}")
            return None

    def sub(self, key: str | int) -> Fields:
        return Fields(self.doc, self.label, self.problems, (*self.at, key))

    def items(self, key: str) -> list[Fields]:
        """The mappings of a list value; reports items that are not mappings."""
        self.used.add(key)
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, f"`{key}` must be a list (lines starting with `- `)")
            return []
        subs = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                subs.append(Fields(self.doc, self.label, self.problems, (*self.at, key, i)))
            else:
                self.problem(key, f"item {i + 1} of `{key}` must be a mapping of `key: value`")
        return subs

    def close(self, allowed: frozenset[str] = frozenset()) -> None:
        for key in sorted({str(k) for k in self.data} - self.used - allowed):
            known = ", ".join(sorted(self.used))
            self.problem(key, f"unknown key `{key}`; known keys here: {known}")


def _show(value: Any) -> str:
    """A value as the user wrote it: `1.5`, `'lots'`, never `Decimal('1.5')`."""
    return str(value) if isinstance(value, Decimal | int) else repr(value)


def text(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()  # `cycle: 2026-11-02` names a file; YAML read it as a date
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Invalid(f"expected text, got {type(value).__name__}")
    return checked_text(str(value))


def checked_text(s: str, limit: int = MAX_TEXT) -> str:
    """`s` unless it holds a control character or a lone surrogate, or is too long."""
    bad = _BAD_CHAR.search(s)
    if bad:
        kind = "a lone surrogate" if 0xD800 <= ord(bad.group()) <= 0xDFFF else "a control character"
        raise Invalid(
            f"holds {kind} (U+{ord(bad.group()):04X}) at character {bad.start() + 1}; "
            "remove it (text must be valid Unicode without control characters)"
        )
    if len(s) > limit:
        raise Invalid(f"is {len(s):,} characters long, more than {limit:,}; shorten it")
    return s


def slug(value: Any) -> str:
    s = text(value)
    if not _SLUG.match(s):
        raise Invalid(f"{s!r} is not a valid id; use lowercase letters, digits, `.`, `_`, `-`")
    return s


def link(value: Any) -> str:
    """A reference to another file: `2026-11` or an Obsidian wikilink `[[2026-11]]`."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = f"[[{value[0][0]}]]" if len(value[0]) == 1 else value  # unquoted `[[2026-11]]`
    s = text(value).strip()
    m = re.fullmatch(r"\[\[([^\]|#]+)(?:[|#][^\]]*)?\]\]", s)
    return m.group(1).strip() if m else s


def day(value: Any) -> date:
    if isinstance(value, datetime):
        raise Invalid(f"{value} has a time of day; write only the date, YYYY-MM-DD")
    if isinstance(value, date):
        return in_era(value)
    try:
        return in_era(date.fromisoformat(text(value)))
    except ValueError:
        raise Invalid(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def in_era(d: date) -> date:
    if not FIRST_DAY <= d <= LAST_DAY:
        raise Invalid(f"{d.isoformat()} is out of range; use a date from {FIRST_DAY} to {LAST_DAY}")
    return d


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise Invalid(f"expected a whole number, got {_show(value)}")
    try:
        n = Decimal(str(value).replace("_", "").replace(",", ""))
    except ArithmeticError:
        raise Invalid(f"expected a whole number, got {_show(value)}") from None
    if not n.is_finite() or n != n.to_integral_value() or n < 0:
        raise Invalid(f"expected a whole number >= 0, got {_show(value)}")
    if n > MAX_COUNT:
        raise Invalid(f"{_show(value)} is more than {MAX_COUNT:,}; use a realistic number")
    return int(n)


def positive(value: Any) -> int:
    n = count(value)
    if n == 0:
        raise Invalid(f"must be at least 1, got {_show(value)}")
    return n


def at_most(limit: int, unit: str) -> Callable[[Any], int]:
    """A whole number from 1 to `limit` (`unit` names it in the message)."""

    def parse(value: Any) -> int:
        n = positive(value)
        if n > limit:
            raise Invalid(f"{n:,} is more than {limit:,} {unit}; use a smaller number")
        return n

    return parse


def money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise Invalid(f"expected a number (USD), got {_show(value)}")
    try:
        d = Decimal(str(value).strip().lstrip("$").replace(",", "").replace("_", ""))
    except ArithmeticError:
        raise Invalid(f"expected a number (USD), got {_show(value)}") from None
    if not d.is_finite() or d < 0:
        raise Invalid(f"expected a number >= 0, got {_show(value)}")
    return _bounded(d, value)


def _bounded(d: Decimal, value: Any) -> Decimal:
    """`1e999` and `1e-999` are finite but break every sum and rounding later."""
    if d > MAX_USD:
        raise Invalid(f"{_show(value)} is more than {MAX_USD:,}; use a realistic amount")
    exponent = d.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -MAX_PLACES
        and d != d.quantize(Decimal(1).scaleb(-MAX_PLACES))
    ):
        raise Invalid(f"{_show(value)} has more than {MAX_PLACES} digits after the point; round it")
    return d


def share(value: Any) -> Decimal:
    """`40%` or a fraction such as `0.4`; returned as a fraction 0..1."""
    s = text(value).strip()
    try:
        d = Decimal(s[:-1].strip()) / 100 if s.endswith("%") else Decimal(s)
    except ArithmeticError:
        raise Invalid(f"expected a share such as `40%`, got {_show(value)}") from None
    if not d.is_finite() or not 0 <= d <= 1:
        raise Invalid(f"expected a share between 0% and 100%, got {_show(value)}")
    return _bounded(d, value)


def choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        s = text(value)
        if s not in options:
            raise Invalid(f"{s!r} is not one of: {', '.join(options)}")
        return s

    return parse


def list_of(parse: Callable[[Any], T]) -> Callable[[Any], tuple[T, ...]]:
    def parse_list(value: Any) -> tuple[T, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(parse(v) for v in items)

    return parse_list


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def reset_anchor(value: Any) -> str:
    """When a plan window resets: `monday 09:00`, `09:00` (daily) or an ISO datetime anchor.

    Returned in a canonical text form that `plans.anchor_before` reads back."""
    if isinstance(value, datetime):
        in_era(value.date())
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value // 60:02d}:{value % 60:02d}"  # YAML 1.1 reads 09:00 as sexagesimal 540
    s = " ".join(text(value).strip().lower().split())
    m = re.fullmatch(r"(?:([a-z]+) )?(\d{1,2}):(\d{2})", s)
    if m and (m.group(1) is None or m.group(1) in WEEKDAYS):
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour < 24 and minute < 60:
            return f"{m.group(1) + ' ' if m.group(1) else ''}{hour:02d}:{minute:02d}"
    try:
        anchor = datetime.fromisoformat(s.upper().replace(" ", "T"))
    except ValueError:
        raise Invalid(
            f"{value!r} is not a reset time; write `monday 09:00` (weekly), `09:00` (daily) "
            "or an ISO datetime such as `2026-11-02T09:00:00+00:00`"
        ) from None
    in_era(anchor.date())
    return anchor.isoformat()
