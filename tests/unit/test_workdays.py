from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from shared.workdays import (
    BEIJING,
    CalendarSource,
    CalendarYearNotLoaded,
    OfficialCalendar,
    beijing_date,
    count_deadline,
    deadline_for,
    end_of_beijing_day,
    working_days_elapsed,
)

NATIONAL_DAY_2025 = [date(2025, 10, 1) + timedelta(days=i) for i in range(8)]
MAKEUP_2025 = [date(2025, 9, 28), date(2025, 10, 11)]


def _beijing(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def calendar() -> OfficialCalendar:
    return OfficialCalendar()


def test_library_agrees_with_official_2025_national_day_schedule() -> None:
    assert all(not chinese_calendar.is_workday(d) for d in NATIONAL_DAY_2025)
    assert all(chinese_calendar.is_workday(d) for d in MAKEUP_2025)
    assert [d.weekday() for d in MAKEUP_2025] == [6, 5]
    assert chinese_calendar.is_workday(date(2025, 9, 30))
    assert chinese_calendar.is_workday(date(2025, 10, 9))
    assert not chinese_calendar.is_workday(date(2025, 10, 12))


def test_calendar_reflects_holidays_and_makeup_days(calendar: OfficialCalendar) -> None:
    assert not any(calendar.is_working_day(d) for d in NATIONAL_DAY_2025)
    assert all(calendar.is_working_day(d) for d in MAKEUP_2025)
    assert not calendar.is_working_day(date(2025, 9, 27))
    assert calendar.day_name(date(2025, 10, 6)) == "Mid-autumn Festival"
    assert calendar.day_name(date(2025, 10, 7)) == "National Day"


def test_received_day_before_golden_week_due_after_it(calendar: OfficialCalendar) -> None:
    due = deadline_for(_beijing(2025, 9, 30, 15, 0), 1, calendar)
    assert due == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_received_on_makeup_saturday_due_monday(calendar: OfficialCalendar) -> None:
    due = deadline_for(_beijing(2025, 10, 11, 10, 0), 1, calendar)
    assert due == datetime(2025, 10, 13, 16, 0, tzinfo=UTC)


def test_received_friday_due_on_makeup_sunday(calendar: OfficialCalendar) -> None:
    due = deadline_for(_beijing(2025, 9, 26, 9, 0), 1, calendar)
    assert due == datetime(2025, 9, 28, 16, 0, tzinfo=UTC)


def test_utc_evening_counts_from_next_beijing_holiday(calendar: OfficialCalendar) -> None:
    received = datetime(2025, 9, 30, 17, 30, tzinfo=UTC)
    assert beijing_date(received) == date(2025, 10, 1)
    assert deadline_for(received, 1, calendar) == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    assert deadline_for(received, 3, calendar) == datetime(2025, 10, 11, 16, 0, tzinfo=UTC)


def test_beijing_date_not_utc_date_sets_the_count_start(calendar: OfficialCalendar) -> None:
    received = datetime(2025, 9, 25, 17, 30, tzinfo=UTC)
    assert deadline_for(received, 1, calendar) == datetime(2025, 9, 28, 16, 0, tzinfo=UTC)


def test_other_timezones_are_converted(calendar: OfficialCalendar) -> None:
    received = datetime(2025, 9, 26, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    assert beijing_date(received) == date(2025, 9, 27)
    assert deadline_for(received, 1, calendar) == datetime(2025, 9, 28, 16, 0, tzinfo=UTC)


def test_plain_weekend(calendar: OfficialCalendar) -> None:
    for day in (date(2025, 3, 7), date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)):
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day)
    assert calendar.next_working_day_after(date(2025, 3, 7)) == date(2025, 3, 10)
    due = deadline_for(_beijing(2025, 3, 8, 23, 59), 1, calendar)
    assert due == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)


def test_two_working_days_across_golden_week(calendar: OfficialCalendar) -> None:
    due = deadline_for(_beijing(2025, 9, 29, 8, 0), 2, calendar)
    assert due == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    assert calendar.add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)


def test_deadline_is_midnight_following_beijing_day() -> None:
    end = end_of_beijing_day(date(2025, 10, 9))
    assert end.astimezone(BEIJING) == _beijing(2025, 10, 10, 0, 0)


def test_naive_datetime_rejected(calendar: OfficialCalendar) -> None:
    with pytest.raises(ValueError):
        deadline_for(datetime(2025, 9, 30, 15, 0), 1, calendar)


def test_add_working_days_never_counts_start_day(calendar: OfficialCalendar) -> None:
    assert calendar.add_working_days(date(2025, 10, 9), 1) == date(2025, 10, 10)
    assert calendar.add_working_days(date(2025, 10, 9), 0) == date(2025, 10, 9)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2025, 10, 9), -1)


def test_working_days_between(calendar: OfficialCalendar) -> None:
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    assert calendar.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert calendar.working_days_between(date(2025, 10, 9), date(2025, 10, 9)) == 0
    with pytest.raises(ValueError):
        calendar.working_days_between(date(2025, 10, 9), date(2025, 10, 8))


def test_between_inverts_add(calendar: OfficialCalendar) -> None:
    start = date(2025, 9, 20)
    for n in range(12):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_working_days_elapsed_matches_deadline(calendar: OfficialCalendar) -> None:
    received = _beijing(2025, 9, 30, 15, 0)
    deadline = deadline_for(received, 1, calendar)
    assert working_days_elapsed(received, deadline - timedelta(seconds=1), calendar) == 0
    assert working_days_elapsed(received, deadline, calendar) == 1
    assert working_days_elapsed(received, received, calendar) == 0
    with pytest.raises(ValueError):
        working_days_elapsed(received, received - timedelta(days=2), calendar)


def test_loaded_year_replaces_library(calendar: OfficialCalendar) -> None:
    assert not calendar.covers(2031)
    holidays = [date(2031, 1, 1), date(2031, 1, 2)]
    calendar.load_year(2031, holidays, makeup_workdays=[date(2031, 1, 4)])
    assert calendar.covers(2031)
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert calendar.is_working_day(date(2031, 1, 3))
    assert calendar.is_working_day(date(2031, 1, 4))
    assert not calendar.is_working_day(date(2031, 1, 5))
    assert deadline_for(_beijing(2031, 1, 1, 10, 0), 2, calendar) == datetime(
        2031, 1, 4, 16, 0, tzinfo=UTC
    )


def test_loading_a_library_year_overrides_it(calendar: OfficialCalendar) -> None:
    assert calendar.is_working_day(date(2025, 9, 28))
    calendar.load_year(2025, NATIONAL_DAY_2025[:3], makeup_workdays=[])
    assert not calendar.is_working_day(date(2025, 9, 28))
    assert calendar.is_working_day(date(2025, 10, 6))


def test_load_year_rejects_inconsistent_schedule(calendar: OfficialCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.load_year(2031, [date(2030, 12, 31)], [])
    with pytest.raises(ValueError):
        calendar.load_year(2031, [date(2031, 1, 4)], [date(2031, 1, 4)])
    assert not calendar.covers(2031)


def test_a_year_without_schedule_is_counted_on_the_statutory_rule(
    calendar: OfficialCalendar,
) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 6, 3))
    assert not calendar.covers(2031)
    assert calendar.source(2031) is CalendarSource.PROVISIONAL
    assert calendar.is_working_day(date(2031, 6, 3))
    assert not calendar.is_working_day(date(2031, 10, 1))
    assert calendar.day_name(date(2031, 10, 1)) == "National Day"
    counted = count_deadline(_beijing(2031, 9, 30, 9, 0), 1, calendar)
    assert counted.provisional
    assert counted.at == end_of_beijing_day(date(2031, 10, 6))
    assert counted.basis == {2031: 0}


def test_a_year_before_the_regulations_without_library_data_is_unknown() -> None:
    calendar = OfficialCalendar(use_library=False)
    with pytest.raises(CalendarYearNotLoaded) as excinfo:
        calendar.is_working_day(date(2024, 6, 3))
    assert excinfo.value.year == 2024
    assert isinstance(excinfo.value, LookupError)


def test_a_deadline_into_a_year_without_notice_is_provisional(
    calendar: OfficialCalendar,
) -> None:
    last_year = max(y for y in range(2020, 2040) if calendar.covers(y))
    counted = count_deadline(_beijing(last_year, 12, 31, 9, 0), 5, calendar)
    assert counted.provisional
    assert counted.basis == {last_year + 1: 0}
    same_year = count_deadline(_beijing(last_year, 12, 1, 9, 0), 1, calendar)
    assert not same_year.provisional
    assert same_year.basis == {last_year: 0}


def test_a_loaded_year_makes_the_count_firm_and_names_its_version(
    calendar: OfficialCalendar,
) -> None:
    received = _beijing(2031, 12, 31, 9, 0)
    before = count_deadline(received, 1, calendar)
    calendar.load_year(2032, [date(2032, 1, 1), date(2032, 1, 2)], [], version=3)
    after = count_deadline(received, 1, calendar)
    assert before.basis == {2032: 0} and before.provisional
    assert after.basis == {2032: 3} and not after.provisional
    assert after.at == end_of_beijing_day(date(2032, 1, 5))
    assert before.stale_years(calendar.official_years()) == [2032]
    assert after.stale_years(calendar.official_years()) == []


def test_a_count_that_starts_and_ends_on_one_day_relies_on_no_year(
    calendar: OfficialCalendar,
) -> None:
    counted = count_deadline(_beijing(2031, 6, 3, 9, 0), 0, calendar)
    assert counted.basis == {}
    assert not counted.provisional


def test_a_copy_tries_a_schedule_without_touching_the_original(
    calendar: OfficialCalendar,
) -> None:
    trial = calendar.copy()
    trial.load_year(2031, [date(2031, 6, 3)], [])
    assert not trial.is_working_day(date(2031, 6, 3))
    assert calendar.is_working_day(date(2031, 6, 3))
    assert calendar.source(2031) is CalendarSource.PROVISIONAL


def test_set_day_override_invalidates_cache(calendar: OfficialCalendar) -> None:
    day = date(2025, 10, 10)
    assert calendar.is_working_day(day)
    calendar.set_day(day, working=False, name="Typhoon closure")
    assert not calendar.is_working_day(day)
    assert calendar.day_name(day) == "Typhoon closure"
    assert calendar.next_working_day_after(date(2025, 10, 9)) == date(2025, 10, 11)
    calendar.set_day(day, working=True)
    assert calendar.is_working_day(day)


def test_set_day_survives_until_year_is_loaded(calendar: OfficialCalendar) -> None:
    calendar.set_day(date(2031, 2, 3), working=True)
    assert calendar.is_working_day(date(2031, 2, 3))
    calendar.load_year(2031, [date(2031, 2, 3)], [])
    assert not calendar.is_working_day(date(2031, 2, 3))


def test_answers_are_memoised(calendar: OfficialCalendar) -> None:
    day = date(2025, 10, 10)
    with mock.patch.object(
        chinese_calendar, "is_workday", wraps=chinese_calendar.is_workday
    ) as spy:
        assert calendar.is_working_day(day)
        assert spy.call_count >= 1
        spy.reset_mock()
        for _ in range(5):
            assert calendar.is_working_day(day)
    assert spy.call_count == 0


def test_datetime_lookup_rejected(calendar: OfficialCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2025, 10, 10, 12, 0, tzinfo=UTC))
