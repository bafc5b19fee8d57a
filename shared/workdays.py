"""Mainland-China official working-day calendar and statutory deadline arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class CalendarYearNotLoaded(LookupError):
    """The calendar has no authoritative schedule for the requested year."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no official working-day schedule available for {year}")
        self.year = year


@dataclass(frozen=True)
class _DayOverride:
    working: bool
    name: str | None


@dataclass(frozen=True)
class _YearSchedule:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def is_working(self, day: date) -> bool:
        if day.weekday() >= _SATURDAY:
            return day in self.makeup_workdays
        return day not in self.holidays


class OfficialCalendar:
    """Working-day facts from ``chinese_calendar`` with loaded years and per-day overrides."""

    def __init__(self) -> None:
        self._overrides: dict[date, _DayOverride] = {}
        self._years: dict[int, _YearSchedule] = {}
        self._library_years: dict[int, bool] = {}
        self._cache: dict[date, bool] = {}

    def set_day(self, day: date, working: bool, name: str | None = None) -> None:
        """Force ``day`` to be a working day or a day off, taking precedence over all else."""
        self._overrides[day] = _DayOverride(working, name)
        self._cache.pop(day, None)

    def load_year(
        self, year: int, holidays: Iterable[date], makeup_workdays: Iterable[date]
    ) -> None:
        """Install the authoritative schedule for ``year``, replacing library data and overrides."""
        schedule = _YearSchedule(frozenset(holidays), frozenset(makeup_workdays))
        _validate_schedule(year, schedule)
        self._years[year] = schedule
        for day in [d for d in self._overrides if d.year == year]:
            del self._overrides[day]
        self._cache = {d: v for d, v in self._cache.items() if d.year != year}

    def covers(self, year: int) -> bool:
        """Return whether working-day facts are known for every day of ``year``."""
        return year in self._years or self._library_covers(year)

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is an official working day in mainland China."""
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._resolve(day)
        return cached

    def day_name(self, day: date) -> str | None:
        """Return the override or library name of ``day`` (e.g. a holiday), if any."""
        override = self._overrides.get(day)
        if override is not None:
            return override.name
        if day.year in self._years or not self._library_covers(day.year):
            return None
        return chinese_calendar.get_holiday_detail(day)[1]

    def next_working_day_after(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        candidate = day + _ONE_DAY
        while not self.is_working_day(candidate):
            candidate += _ONE_DAY
        return candidate

    def add_working_days(self, day: date, n: int) -> date:
        """Return the ``n``-th working day strictly after ``day`` (``day`` itself for n=0)."""
        if n < 0:
            raise ValueError(f"working-day count must be non-negative, got {n}")
        for _ in range(n):
            day = self.next_working_day_after(day)
        return day

    def working_days_between(self, start_date: date, end_date: date) -> int:
        """Count working days ``d`` with ``start_date < d <= end_date``."""
        if end_date < start_date:
            raise ValueError(f"end date {end_date} precedes start date {start_date}")
        span = (end_date - start_date).days
        return sum(self.is_working_day(start_date + timedelta(days=i)) for i in range(1, span + 1))

    def _resolve(self, day: date) -> bool:
        if isinstance(day, datetime):
            raise TypeError("working-day lookups take a date; use beijing_date() for instants")
        override = self._overrides.get(day)
        if override is not None:
            return override.working
        schedule = self._years.get(day.year)
        if schedule is not None:
            return schedule.is_working(day)
        if not self._library_covers(day.year):
            raise CalendarYearNotLoaded(day.year)
        return bool(chinese_calendar.is_workday(day))

    def _library_covers(self, year: int) -> bool:
        known = self._library_years.get(year)
        if known is None:
            known = self._library_years[year] = _library_supports(year)
        return known


def _library_supports(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _validate_schedule(year: int, schedule: _YearSchedule) -> None:
    stray = sorted(d for d in schedule.holidays | schedule.makeup_workdays if d.year != year)
    if stray:
        raise ValueError(f"dates outside {year} in its schedule: {stray}")
    clash = sorted(schedule.holidays & schedule.makeup_workdays)
    if clash:
        raise ValueError(f"dates listed as both holiday and make-up working day: {clash}")


def beijing_date(instant: datetime) -> date:
    """Return the Asia/Shanghai calendar date of a timezone-aware instant."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {instant.isoformat()}")
    return instant.astimezone(BEIJING).date()


def end_of_beijing_day(day: date) -> datetime:
    """Return 24:00 Asia/Shanghai of ``day`` as a UTC instant."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=BEIJING).astimezone(UTC)


def deadline_for(received_at: datetime, working_days: int, calendar: OfficialCalendar) -> datetime:
    """Return the UTC instant ending the ``working_days``-th working day after receipt."""
    due = calendar.add_working_days(beijing_date(received_at), working_days)
    return end_of_beijing_day(due)


def working_days_elapsed(start: datetime, end: datetime, calendar: OfficialCalendar) -> int:
    """Count working days after ``start``'s Beijing date that have fully ended by ``end``."""
    first, last = beijing_date(start), beijing_date(end)
    if last < first:
        raise ValueError(f"end {end.isoformat()} precedes start {start.isoformat()}")
    if last == first:
        return 0
    return calendar.working_days_between(first, last - _ONE_DAY)
