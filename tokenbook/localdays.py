"""The local day of many UTC times in one timezone, looked up per UTC hour.

`at.astimezone(tz).date()` costs a timezone lookup per time; responses come thousands to an
hour. An hour whose UTC offset and local date are the same at its first and last microsecond
has that date throughout (offsets change at most once an hour), and is remembered; any other
hour (a transition, or local midnight inside it, as at +05:30) is computed time by time.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

_LAST = timedelta(hours=1, microseconds=-1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LocalDays:
    def __init__(self, timezone: str | ZoneInfo) -> None:
        self.tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        self._hours: dict[int, tuple[date, str] | None] = {}

    def day(self, at: datetime) -> date:
        found = self._lookup(at)
        return found[0] if found is not None else at.astimezone(self.tz).date()

    def text(self, at: datetime) -> str:
        """The local day as `YYYY-MM-DD`."""
        found = self._lookup(at)
        return found[1] if found is not None else at.astimezone(self.tz).date().isoformat()

    def hour_text(self, hour: int) -> str | None:
        """The local day (`YYYY-MM-DD`) of every time in the UTC hour `hour` (hours since the
        epoch); None when they are not all on one local day at one offset."""
        found = self._hour(_EPOCH + timedelta(hours=hour))
        return found[1] if found is not None else None

    def _lookup(self, at: datetime) -> tuple[date, str] | None:
        if at.tzinfo is not UTC:
            return None
        key = at.toordinal() * 24 + at.hour
        try:
            return self._hours[key]
        except KeyError:
            found = self._hours[key] = self._hour(at)
            return found

    def _hour(self, at: datetime) -> tuple[date, str] | None:
        start = at.replace(minute=0, second=0, microsecond=0)
        first, last = start.astimezone(self.tz), (start + _LAST).astimezone(self.tz)
        if first.utcoffset() != last.utcoffset() or first.date() != last.date():
            return None
        return first.date(), first.date().isoformat()


def week_start(day: date) -> date:
    """The Monday of the day's ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"
