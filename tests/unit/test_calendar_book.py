"""The calendar a service keeps in force: versions only move forward, missing years warn."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime

import pytest

from shared.calendars import CalendarBook, StoredSchedule, follow_changes
from shared.holidays import provisional_days_off
from shared.workdays import BEIJING, CalendarSource, Notice, OfficialCalendar, YearSchedule

ENTERED = datetime(2026, 11, 20, 2, tzinfo=UTC)


def stored(year: int, version: int, *extra: date) -> StoredSchedule:
    schedule = YearSchedule(
        year,
        frozenset(provisional_days_off(year)) | set(extra),
        frozenset(),
        version,
        Notice(f"notice {year} v{version}", date(year - 1, 11, 12)),
    )
    return StoredSchedule(schedule, "supervisor-wang", ENTERED)


def test_a_newer_version_replaces_the_year_and_an_older_one_does_not() -> None:
    book = CalendarBook(OfficialCalendar())
    assert book.install(stored(2027, 1))
    assert book.install(stored(2027, 3, date(2027, 1, 4)))
    assert not book.install(stored(2027, 2))
    assert not book.install(stored(2027, 3))
    view = book.view(2027)
    assert (view.source, view.version) == (CalendarSource.OFFICIAL_NOTICE, 3)
    assert view.notice == Notice("notice 2027 v3", date(2026, 11, 12))
    assert date(2027, 1, 4) in view.non_working_weekdays


def beijing(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BEIJING)


def test_next_year_is_missing_from_the_warning_day_and_this_year_always() -> None:
    book = CalendarBook(OfficialCalendar(), warn_from="12-01")
    assert book.missing_years(beijing(2026, 11, 30, 23)) == []
    assert book.missing_years(beijing(2026, 12, 1, 0)) == [2027]
    assert book.missing_years(beijing(2027, 1, 5)) == [2027]
    assert book.missing_years(beijing(2027, 12, 31)) == [2027, 2028]
    book.install(stored(2027, 1))
    assert book.missing_years(beijing(2026, 12, 31)) == []
    assert book.warnings(beijing(2026, 12, 31)) == {}
    assert list(book.warnings(beijing(2027, 12, 2))) == ["calendar.2028"]


def test_the_warning_is_logged_once_a_beijing_day(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="shared.calendars")
    book = CalendarBook(OfficialCalendar(), warn_from="11-15")
    assert not book.warn_once_a_day(beijing(2026, 11, 14, 23))
    assert book.warn_once_a_day(beijing(2026, 11, 15, 0))
    assert not book.warn_once_a_day(beijing(2026, 11, 15, 23))
    assert book.warn_once_a_day(beijing(2026, 11, 16, 0))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert 'calendar load 2027 2027.yaml --token "$(pledgeflow credentials issue' in (messages[0])


def test_a_warning_day_that_is_not_a_day_is_refused() -> None:
    for value in ("13-01", "12-32", "1201", "December"):
        with pytest.raises(ValueError):
            CalendarBook(OfficialCalendar(), warn_from=value)


async def test_a_change_is_caught_up_at_once_and_again_after_it_settles() -> None:
    book = CalendarBook(OfficialCalendar())
    looks: list[float] = []

    async def catch_up() -> None:
        looks.append(time.monotonic())

    follower = asyncio.create_task(follow_changes(book, interval=30, catch_up=catch_up, settle=0.2))
    try:
        await asyncio.sleep(0.05)
        assert looks == [], "nothing changed and the periodic look is far off"
        book.wake()
        await asyncio.sleep(0.1)
        at_once = len(looks)
        await asyncio.sleep(0.5)
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)

    assert at_once == 1
    assert len(looks) == 2, "one look more once the change settled, then the interval"
    assert looks[1] - looks[0] >= 0.19
