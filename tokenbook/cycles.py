"""Recurring cycles: the cycle that holds a day, made in memory when a repeating cycle has ended.

A cycle (or the settings, for every cycle) may say `repeat: monthly | weekly | daily | every N
days | every N weeks | every N months`. The n-th cycle after a repeating one starts n periods
after it (months are counted from its start, so a cycle from the 31st moves to the last day of
shorter months). It keeps the budget, reserve and repeat of its source. If the source fills its
period exactly (a calendar month, a 7-day week), so does each next one; otherwise each keeps the
source's length, which leaves the same cooldown gap between cycles. Only the last cycle (by
start) repeats: a file written for the next cycle takes over.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokenbook import fields as f
from tokenbook.errors import TokenbookError
from tokenbook.fileio import write_if_changed
from tokenbook.model import Cycle
from tokenbook.model import Repeat
from tokenbook.model import Vault

NEVER = Repeat("never", 0)
NAMED = {"monthly": Repeat("month"), "weekly": Repeat("day", 7), "daily": Repeat("day")}
MAX_COUNT = {"day": 3660, "week": 520, "month": 120}
MAX_STEPS = 100_000  # derivations to reach a day: daily cycles for 270 years
_EVERY = re.compile(r"every (\d+) (day|week|month)s?")
_MONTH_ID = re.compile(r"\d{4}-\d{2}")
ONE_DAY = timedelta(days=1)


def parse_repeat(value: Any) -> Repeat:
    """`monthly`, `weekly`, `daily`, `every N days|weeks|months`, or `never` (also `false`)."""
    if value is False:
        return NEVER
    text = "" if value is True else " ".join(f.text(value).strip().lower().split())
    if text in ("never", "none", "no"):
        return NEVER
    if text in NAMED:
        return NAMED[text]
    m = _EVERY.fullmatch(text)
    if m and 1 <= int(m.group(1)) <= MAX_COUNT[m.group(2)]:
        n, unit = int(m.group(1)), m.group(2)
        return Repeat("day", n * 7) if unit == "week" else Repeat(unit, n)
    raise f.Invalid(
        f"{value!r} is not a repeat; write `monthly`, `weekly`, `daily`, `every 14 days`, "
        "`every 2 weeks`, `every 3 months` or `never`"
    )


def repeat_of(vault: Vault, cycle: Cycle) -> Repeat | None:
    """The cycle's own `repeat:`, else the settings' `cycle_repeat:`; None when it does not."""
    repeat = cycle.repeat if cycle.repeat is not None else vault.settings.cycle_repeat
    return None if repeat is None or repeat.unit == "never" else repeat


def _add_months(day: date, months: int, anchor_day: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def _start(source: Cycle, repeat: Repeat, n: int) -> date:
    """Where the n-th cycle after `source` starts."""
    if repeat.unit == "month":
        return _add_months(source.start, n * repeat.count, source.start.day)
    return source.start + timedelta(days=n * repeat.count)


def derive(source: Cycle, repeat: Repeat, n: int) -> Cycle:
    """The n-th cycle after `source` (n >= 1), in memory."""
    start, following = _start(source, repeat, n), _start(source, repeat, n + 1)
    if source.end + ONE_DAY == _start(source, repeat, 1):
        end = following - ONE_DAY
    else:
        end = min(start + (source.end - source.start), following - ONE_DAY)
    cycle_id = f"{start:%Y-%m}" if repeat.unit == "month" else start.isoformat()
    if repeat.unit == "month" and not _MONTH_ID.fullmatch(source.id):
        cycle_id = start.isoformat()
    folder = Path(source.path).parent if source.path else Path("cycles")
    return replace(
        source,
        id=cycle_id,
        start=start,
        end=end,
        derived_from=source.derived_from or source.id,
        path=str(folder / f"{cycle_id}.md"),
        line=1,
    )


def last_cycle(vault: Vault) -> Cycle | None:
    """The cycle that started last (the one that repeats)."""
    return max(vault.cycles, key=lambda c: (c.start, c.end, c.id), default=None)


def upcoming(vault: Vault, until: date, repeat: Repeat | None = None) -> list[Cycle]:
    """The cycles the last one's repeat makes, from the next one to the first that ends on or
    after `until` (`repeat` overrides the vault's)."""
    last = last_cycle(vault)
    if last is None:
        return []
    repeat = repeat or repeat_of(vault, last)
    if repeat is None or repeat.unit == "never":
        return []
    out: list[Cycle] = []
    for n in range(1, MAX_STEPS + 1):
        try:
            out.append(derive(last, repeat, n))
        except (ValueError, OverflowError):  # past year 9999
            break
        if out[-1].end >= until:
            break
    return out


def current_cycle(vault: Vault, today: date) -> Cycle | None:
    """The cycle that holds `today`: a file's, else one the last cycle's repeat makes; None when
    today is in no cycle (before the first, between two, or after a last one that does not
    repeat)."""
    holding = [c for c in vault.cycles if c.contains(today)]
    if holding:
        return max(holding, key=lambda c: (c.start, c.id))
    return next((c for c in upcoming(vault, today) if c.contains(today)), None)


def cycle_warning(
    vault: Vault, today: date, *, what: str = "today", relative: bool = False
) -> str | None:
    """One line for sync, status and the dashboard when `today` is in no cycle, with the fix;
    None when it is. `what` names the day (the dashboard says "the latest usage day");
    `relative` names files from the vault's root (a committed file holds no machine's paths)."""
    if current_cycle(vault, today) is not None:
        return None
    where = f"{what} ({today}) is in no cycle"
    since = "today" if what == "today" else str(today)
    unassigned = f"usage from {since} on goes to `unassigned` until a cycle holds it"
    last = last_cycle(vault)
    if last is None:
        return f"{where}: the vault has none; add one under cycles/ (see docs/cycles.md)"
    if today > last.end and repeat_of(vault, last) is None:
        return (
            f"{where}: the last one, `{last.id}`, ended on {last.end}; {unassigned}. Run "
            f"`tokenbook cycle next --repeat monthly` to write the next, or add `repeat: "
            f"monthly` (or weekly, every N days) to {_file(vault, last, relative)}"
        )
    after = [c for c in [*vault.cycles, *upcoming(vault, today)] if c.start > today]
    before = [c for c in vault.cycles if c.end < today]
    if not before:
        return (
            f"{where}: the first, `{after[0].id}`, starts on {after[0].start}; add a cycle "
            "file under cycles/ that holds it to count that usage against a budget"
        )
    prev = max(before, key=lambda c: c.end)
    if not after:
        return f"{where}: the last one, `{prev.id}`, ended on {prev.end}; {unassigned}"
    nxt = min(after, key=lambda c: c.start)
    return (
        f"{where}: `{prev.id}` ended on {prev.end} and `{nxt.id}` starts on {nxt.start} "
        f"(a cooldown?); {unassigned}"
    )


def _file(vault: Vault, cycle: Cycle, relative: bool) -> str:
    """The cycle's file: as loaded, or from the vault's root."""
    if not relative:
        return cycle.path
    try:
        return Path(cycle.path).relative_to(vault.root).as_posix()
    except ValueError:
        return f"cycles/{cycle.id}.md"


def derived_ids(vault: Vault, count: int = 24) -> dict[str, Cycle]:
    """The next `count` cycles the last one's repeat makes, by id (for located messages)."""
    last = last_cycle(vault)
    repeat = repeat_of(vault, last) if last else None
    if last is None or repeat is None:
        return {}
    return {c.id: c for c in (derive(last, repeat, n) for n in range(1, count + 1))}


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def cycle_text(cycle: Cycle, repeat: Repeat | None, body: str) -> str:
    """A cycle file: its frontmatter (`repeat:` only when given) and a markdown body."""
    lines = ["---", f"start: {cycle.start}", f"end: {cycle.end}"]
    if cycle.budget_usd is not None:
        lines.append(f"budget_usd: {_amount(cycle.budget_usd)}")
    if cycle.budget_tokens is not None:
        lines.append(f"budget_tokens: {cycle.budget_tokens}")
    if cycle.reserve:
        lines.append(f"reserve: {_amount(cycle.reserve * 100)}%")
    if repeat is not None:
        lines.append(f"repeat: {repeat}")
    return "\n".join([*lines, "---", body.rstrip("\n"), ""])


MAX_WRITE = 120  # cycles one `cycle next` may write (ten years of months)


def plan_next(vault: Vault, today: date, repeat: Repeat | None = None) -> list[Cycle]:
    """The cycles `tokenbook cycle next` writes: the next one after the last, and every one up
    to the cycle that holds `today` (or the first after it). `repeat` overrides the vault's."""
    last = last_cycle(vault)
    if last is None:
        raise TokenbookError(
            f"{vault.root / 'cycles'}:0: no cycle to follow; write the first one by hand or "
            "with `tokenbook init` (see docs/cycles.md)"
        )
    chosen = repeat or repeat_of(vault, last)
    if chosen is None or chosen.unit == "never":
        raise TokenbookError(
            f"{last.path}:{last.line}: cycle `{last.id}` does not repeat; add `repeat: monthly` "
            "(or weekly, every N days) to it, or give `--repeat monthly`"
        )
    planned = upcoming(vault, today, chosen)
    if len(planned) > MAX_WRITE:
        raise TokenbookError(
            f"{last.path}:{last.line}: {len(planned)} cycles lie between `{last.id}` and today "
            f"({today}), more than {MAX_WRITE}; write a cycle for today by hand"
        )
    for cycle in planned:
        path = vault.root / "cycles" / f"{cycle.id}.md"
        if path.exists():
            raise TokenbookError(
                f"{path}:0: already exists but does not start on {cycle.start} as the next "
                f"cycle after `{last.id}` would; rename one of them"
            )
    return planned


def write_cycles(vault: Vault, planned: list[Cycle], repeat: Repeat | None) -> list[Path]:
    """Write the planned cycles as files (`repeat:` written only when given); return them."""
    written = []
    previous = last_cycle(vault)
    for cycle in planned:
        after = f" after `{previous.id}`" if previous else ""
        body = f"# Cycle {cycle.id}\n\nWritten by `tokenbook cycle next`{after}.\n"
        path = vault.root / "cycles" / f"{cycle.id}.md"
        write_if_changed(path, cycle_text(cycle, repeat, body))
        written.append(path)
        previous = cycle
    return written
