"""Dates for test data, counted from today so that nothing a test builds expires with the calendar.

Tests that go through a service on the real clock take their dates from here (fees paid a year
ahead, a performance deadline a few years ahead, a grant date years ago). Tests of calendar
specifics (holidays, make-up days, deadlines) run on a clock they set themselves, in a year the
official calendar knows.

`PLEDGEFLOW_TEST_TODAY` moves the test process's clock for a whole session (see
`tests/conftest.py`): a date (`2028-12-01`, 10:00 in Beijing that day) or an ISO instant with
its offset (`2027-02-05T23:30:00+08:00`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
MOVED_TODAY_VARIABLE = "PLEDGEFLOW_TEST_TODAY"


def now() -> datetime:
    """The current instant in UTC, without microseconds (as the services store it)."""
    return datetime.now(UTC).replace(microsecond=0)


def today() -> date:
    """Today's date in Beijing, the date the services count from."""
    return datetime.now(BEIJING).date()


def days_from_today(days: int) -> date:
    """The date `days` after today (before it when negative)."""
    return today() + timedelta(days=days)


def years_from_today(years: int) -> date:
    """The same day `years` later (earlier when negative); 29 February becomes the 28th."""
    return shift_years(today(), years)


def shift_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given by its Beijing wall-clock time, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def moved_clock_destination(value: str) -> datetime:
    """Where `PLEDGEFLOW_TEST_TODAY` moves the clock: a date at 10:00 Beijing, or an instant."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            raise ValueError(f"{MOVED_TODAY_VARIABLE} needs an offset: {value!r}") from None
        return instant.astimezone(UTC)
    return datetime.combine(day, time(10), tzinfo=BEIJING).astimezone(UTC)
