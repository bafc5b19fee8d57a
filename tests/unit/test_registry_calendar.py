"""A year's working-day schedule as entered, and deadlines where no schedule exists."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.registry.domain.calendar import YearSchedule
from services.registry.domain.errors import ScheduleInvalid
from services.registry.service_layer.deadlines import registration_deadline
from shared.workdays import BEIJING, OfficialCalendar


def schedule(holidays: list[date], makeup: tuple[date, ...] | list[date] = ()) -> YearSchedule:
    return YearSchedule(2031, frozenset(holidays), frozenset(makeup))


def test_a_consistent_schedule_is_accepted() -> None:
    year = schedule([date(2031, 10, 1), date(2031, 10, 4)], [date(2031, 9, 27)])
    assert date(2031, 10, 4) in year.holidays


@pytest.mark.parametrize(
    ("holidays", "makeup", "problem"),
    [
        ([date(2032, 1, 1)], [], "outside 2031"),
        ([date(2031, 10, 1)], [date(2031, 10, 1)], "both holiday and make-up"),
        ([], [date(2031, 9, 26)], "must be weekend days"),
    ],
)
def test_an_inconsistent_schedule_is_refused(
    holidays: list[date], makeup: list[date], problem: str
) -> None:
    with pytest.raises(ScheduleInvalid, match=problem):
        schedule(holidays, makeup)


def test_a_year_without_schedule_counts_weekdays_and_says_so() -> None:
    friday = datetime(2032, 1, 2, 10, tzinfo=BEIJING)
    deadline = registration_deadline(friday, False, OfficialCalendar())
    assert deadline.provisional
    assert deadline.at == datetime(2032, 1, 5, 16, tzinfo=UTC)
    two_days = registration_deadline(friday, True, OfficialCalendar())
    assert two_days.at == datetime(2032, 1, 6, 16, tzinfo=UTC)


def test_a_loaded_year_gives_a_firm_deadline() -> None:
    calendar = OfficialCalendar()
    calendar.load_year(2032, [date(2032, 1, 5)], [])
    deadline = registration_deadline(datetime(2032, 1, 2, 10, tzinfo=BEIJING), False, calendar)
    assert not deadline.provisional
    assert deadline.at == datetime(2032, 1, 6, 16, tzinfo=UTC)
