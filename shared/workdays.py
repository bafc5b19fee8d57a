"""Mainland-China official working-day calendar and statutory deadline arithmetic.

A year's facts come from the State Council's notice once it is loaded, else from the
``chinese_calendar`` library for the years it knows, else provisionally from the holiday
regulations alone (``shared.holidays``). A deadline counted through a provisional year says so.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from shared.holidays import FIRST_YEAR, provisional_days_off, statutory_holidays

BEIJING = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
DEFAULT_WARN_FROM = "12-01"
_SATURDAY = 5


class CalendarYearNotLoaded(LookupError):
    """The calendar has no schedule, not even a provisional one, for the requested year."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no working-day schedule available for {year}")
        self.year = year


class ScheduleInvalid(ValueError):
    """A year's schedule contradicts itself, the calendar or the holiday regulations."""

    code = "calendar.schedule_invalid"


class CalendarSource(enum.StrEnum):
    """Where the working-day facts of a year come from."""

    OFFICIAL_NOTICE = "official_notice"
    LIBRARY = "library"
    PROVISIONAL = "provisional_statutory_rule"


@dataclass(frozen=True)
class Notice:
    """The State Council notice a schedule comes from, e.g. 国办发明电〔2026〕5号."""

    reference: str
    published_on: date


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off and make-up working days, as a notice publishes them."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    version: int = 1
    notice: Notice | None = None

    def is_working(self, day: date) -> bool:
        """Whether ``day`` (a day of this year) is a working day on this schedule."""
        if day.weekday() >= _SATURDAY:
            return day in self.makeup_workdays
        return day not in self.holidays

    def problems(self) -> list[str]:
        """Everything that keeps this from being a whole, consistent year; empty if none."""
        found = _consistency_problems(self)
        if self.year >= FIRST_YEAR:
            statutory = statutory_holidays(self.year)
            missing = sorted(
                d for d in statutory if d.weekday() < _SATURDAY and d not in self.holidays
            )
            if missing:
                found.append(f"statutory holidays not listed as days off: {_dates(missing)}")
            worked = sorted(d for d in statutory if d in self.makeup_workdays)
            if worked:
                found.append(f"statutory holidays listed as make-up working days: {_dates(worked)}")
        return found

    def validate(self) -> None:
        """Raise ``ScheduleInvalid`` naming every problem of the schedule."""
        found = self.problems()
        if found:
            raise ScheduleInvalid("; ".join(found))


def _dates(days: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def _consistency_problems(schedule: YearSchedule) -> list[str]:
    found = []
    listed = schedule.holidays | schedule.makeup_workdays
    stray = sorted(d for d in listed if d.year != schedule.year)
    if stray:
        found.append(f"dates outside {schedule.year}: {_dates(stray)}")
    both = sorted(schedule.holidays & schedule.makeup_workdays)
    if both:
        found.append(f"both holiday and make-up working day: {_dates(both)}")
    weekdays = sorted(d for d in schedule.makeup_workdays if d.weekday() < _SATURDAY)
    if weekdays:
        found.append(f"make-up working days must be weekend days: {_dates(weekdays)}")
    return found


@dataclass(frozen=True)
class CountedDeadline:
    """The end of a count of working days, and the schedules the count relied on.

    ``basis`` maps each year the count ran through to the version of its official schedule
    (0 for library or provisional facts); ``provisional`` says a year of the count had no
    notice, so the notice, once loaded, may still move the deadline.
    """

    at: datetime
    provisional: bool = False
    basis: Mapping[int, int] = field(default_factory=dict)

    def stale_years(self, official: Mapping[int, int]) -> list[int]:
        """The years of the count whose official schedule (year -> version) is now another.

        A deadline stored before counts kept their basis names only its own year, if it was
        provisional.
        """
        basis = self.basis
        if not basis and self.provisional:
            basis = {beijing_date(self.at - _ONE_SECOND).year: 0}
        return sorted(year for year, version in basis.items() if official.get(year, 0) != version)


@dataclass(frozen=True)
class _DayOverride:
    working: bool
    name: str | None


class OfficialCalendar:
    """Working-day facts: official schedules loaded here, then ``chinese_calendar``'s years,
    then the statutory rule of the holiday regulations (provisional) for any later year."""

    def __init__(self, use_library: bool = True) -> None:
        self._use_library = use_library
        self._overrides: dict[date, _DayOverride] = {}
        self._years: dict[int, YearSchedule] = {}
        self._library_years: dict[int, bool] = {}
        self._cache: dict[date, bool] = {}

    def copy(self) -> OfficialCalendar:
        """An independent calendar with the same facts (to try a schedule before using it)."""
        twin = OfficialCalendar(self._use_library)
        twin._overrides = dict(self._overrides)
        twin._years = dict(self._years)
        twin._library_years = self._library_years
        twin._cache = dict(self._cache)
        return twin

    def set_day(self, day: date, working: bool, name: str | None = None) -> None:
        """Force ``day`` to be a working day or a day off, taking precedence over all else."""
        self._overrides[day] = _DayOverride(working, name)
        self._cache.pop(day, None)

    def install(self, schedule: YearSchedule) -> None:
        """Put an official schedule in force for its year, replacing whatever was there."""
        problems = _consistency_problems(schedule)
        if problems:
            raise ScheduleInvalid("; ".join(problems))
        self._years[schedule.year] = schedule
        for day in [d for d in self._overrides if d.year == schedule.year]:
            del self._overrides[day]
        self._cache = {d: v for d, v in self._cache.items() if d.year != schedule.year}

    def load_year(
        self,
        year: int,
        holidays: Iterable[date],
        makeup_workdays: Iterable[date],
        version: int = 1,
    ) -> None:
        """Install the official schedule for ``year``, replacing library data and overrides."""
        self.install(YearSchedule(year, frozenset(holidays), frozenset(makeup_workdays), version))

    def schedule(self, year: int) -> YearSchedule | None:
        """The official schedule in force for ``year``, if one was loaded."""
        return self._years.get(year)

    def official_years(self) -> dict[int, int]:
        """Each year with an official schedule, with that schedule's version."""
        return {year: s.version for year, s in sorted(self._years.items())}

    def version(self, year: int) -> int:
        """The version of ``year``'s official schedule; 0 when there is none."""
        schedule = self._years.get(year)
        return 0 if schedule is None else schedule.version

    def source(self, year: int) -> CalendarSource:
        """Where ``year``'s facts come from; raises ``CalendarYearNotLoaded`` if nowhere."""
        if year in self._years:
            return CalendarSource.OFFICIAL_NOTICE
        if self._library_covers(year):
            return CalendarSource.LIBRARY
        if year >= FIRST_YEAR:
            return CalendarSource.PROVISIONAL
        raise CalendarYearNotLoaded(year)

    def covers(self, year: int) -> bool:
        """Return whether ``year``'s facts are authoritative (a notice or the library)."""
        return year in self._years or self._library_covers(year)

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is an official working day in mainland China."""
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._resolve(day)
        return cached

    def day_name(self, day: date) -> str | None:
        """Return the override, library or statutory name of ``day`` (e.g. a holiday), if any."""
        override = self._overrides.get(day)
        if override is not None:
            return override.name
        source = self.source(day.year)
        if source is CalendarSource.LIBRARY:
            return chinese_calendar.get_holiday_detail(day)[1]
        if source is CalendarSource.PROVISIONAL:
            return provisional_days_off(day.year).get(day)
        return None

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
        if self._library_covers(day.year):
            return bool(chinese_calendar.is_workday(day))
        if day.year < FIRST_YEAR:
            raise CalendarYearNotLoaded(day.year)
        return day.weekday() < _SATURDAY and day not in provisional_days_off(day.year)

    def _library_covers(self, year: int) -> bool:
        if not self._use_library:
            return False
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


def count_deadline(
    received_at: datetime, working_days: int, calendar: OfficialCalendar
) -> CountedDeadline:
    """The end of the ``working_days``-th working day after receipt, and what it relied on."""
    start = beijing_date(received_at)
    due = calendar.add_working_days(start, working_days)
    years = range((start + _ONE_DAY).year, due.year + 1) if due > start else range(0)
    sources = {year: calendar.source(year) for year in years}
    return CountedDeadline(
        at=end_of_beijing_day(due),
        provisional=CalendarSource.PROVISIONAL in sources.values(),
        basis={year: calendar.version(year) for year in years},
    )


def parse_warn_from(value: str) -> tuple[int, int]:
    """A day of the year written ``MM-DD`` as (month, day); raises ValueError otherwise."""
    match = _MONTH_DAY.match(value)
    if match is None:
        raise ValueError(f"expected MM-DD, got {value!r}")
    month, day = int(match[1]), int(match[2])
    date(2001, month, day)
    return month, day
