"""Plain data for templates: the only values a template (which may come from a pull request) sees.

`plain()` turns the view models into strings, numbers, decimals, dates, lists, tuples and dicts.
Dataclasses become dicts of their fields and properties; methods and `Path`s are left out, so
nothing a template can reach touches the file system, runs a process or leads to Python
internals (Jinja's sandbox still guards the builtins' own methods such as `str.format`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timezone
from decimal import Decimal
from pathlib import PurePath
from typing import Any

# What a template may hold. `datetime` carries a fixed-offset `timezone` (not a ZoneInfo,
# whose class methods read the system's zone files).
LEAVES = (str, int, bool, Decimal, date, datetime, type(None))
CONTAINERS = (list, tuple, dict)


def plain(value: object) -> Any:
    """`value` as plain data; a type that has no plain form is a bug (TypeError)."""
    if value is None or type(value) in (str, int, bool, Decimal, date):
        return value
    if isinstance(value, str | int | Decimal | date):
        return _leaf(value)
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    raise TypeError(f"{type(value).__name__} has no plain form for a template")


def _leaf(value: str | int | Decimal | date) -> Any:
    """A subclass as its base type: a StrEnum's text, an IntEnum's number; a datetime with a
    fixed-offset `timezone` in place of a ZoneInfo."""
    if isinstance(value, datetime):
        offset = value.utcoffset()
        return value if offset is None else value.replace(tzinfo=timezone(offset))
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    return value


def _record(value: object) -> dict[str, Any]:
    """A dataclass's fields and properties; `Path` fields (the vault's location on this machine)
    are left out: a template has no use for them, and they must not land in a committed file."""
    out: dict[str, Any] = {}
    fields, properties = _names(type(value))
    for name in fields:
        item = getattr(value, name)
        if not isinstance(item, PurePath):
            out[name] = plain(item)
    for name in properties:
        out[name] = plain(getattr(value, name))
    return out


_NAMES: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _names(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A dataclass's field names, and its properties' (found once per class)."""
    found = _NAMES.get(cls)
    if found is None:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names.extend(n for n, v in vars(klass).items() if isinstance(v, property))
        fields = tuple(f.name for f in dataclasses.fields(cls))
        found = _NAMES[cls] = (fields, tuple(sorted(set(names))))
    return found
