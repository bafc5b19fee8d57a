"""The statutory days off by the holiday regulations, checked against published schedules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.holidays import (
    provisional_days_off,
    qingming,
    statutory_holidays,
    substitute_days_off,
)
from shared.workdays import OfficialCalendar, YearSchedule


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# The State Council's notices for 2025 and 2026, as published.
OFFICIAL = {
    2025: YearSchedule(
        2025,
        holidays=frozenset(
            [
                date(2025, 1, 1),
                *_span(date(2025, 1, 28), date(2025, 2, 4)),
                *_span(date(2025, 4, 4), date(2025, 4, 6)),
                *_span(date(2025, 5, 1), date(2025, 5, 5)),
                *_span(date(2025, 5, 31), date(2025, 6, 2)),
                *_span(date(2025, 10, 1), date(2025, 10, 8)),
            ]
        ),
        makeup_workdays=frozenset(
            [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28)]
        )
        | {date(2025, 10, 11)},
    ),
    2026: YearSchedule(
        2026,
        holidays=frozenset(
            _span(date(2026, 1, 1), date(2026, 1, 3))
            + _span(date(2026, 2, 15), date(2026, 2, 23))
            + _span(date(2026, 4, 4), date(2026, 4, 6))
            + _span(date(2026, 5, 1), date(2026, 5, 5))
            + _span(date(2026, 6, 19), date(2026, 6, 21))
            + _span(date(2026, 9, 25), date(2026, 9, 27))
            + _span(date(2026, 10, 1), date(2026, 10, 7))
        ),
        makeup_workdays=frozenset(
            [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)]
        )
        | {date(2026, 9, 20), date(2026, 10, 10)},
    ),
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_statutory_day_off_is_off_in_the_published_schedule(year: int) -> None:
    official = OFFICIAL[year]
    assert official.problems() == []
    for day, name in provisional_days_off(year).items():
        assert not official.is_working(day), f"{day} ({name}) is a working day in {year}"


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_the_calendar_library_agrees_with_the_published_schedules(year: int) -> None:
    library = OfficialCalendar()
    days = _span(date(year, 1, 1), date(year, 12, 31))
    assert [library.is_working_day(d) for d in days] == [OFFICIAL[year].is_working(d) for d in days]


def test_thirteen_statutory_days_by_the_2024_amendment() -> None:
    for year in range(2025, 2060):
        holidays = statutory_holidays(year)
        names = list(holidays.values())
        assert names.count("Spring Festival") == 4
        assert names.count("Labour Day") == 2
        assert names.count("National Day") == 3
        mid_autumn = [d for d, n in holidays.items() if n == "Mid-Autumn Festival"]
        if mid_autumn:
            assert len(holidays) == 13
        else:
            assert len(holidays) == 12, "Mid-Autumn coincides with National Day"


def test_lunar_and_solar_term_dates() -> None:
    assert [d for d, n in statutory_holidays(2027).items() if n == "Spring Festival"] == _span(
        date(2027, 2, 5), date(2027, 2, 8)
    )
    assert [qingming(y) for y in (2025, 2026, 2027, 2028)] == [
        date(2025, 4, 4),
        date(2026, 4, 5),
        date(2027, 4, 5),
        date(2028, 4, 4),
    ]
    named = {n: d for d, n in statutory_holidays(2027).items()}
    assert named["Dragon Boat Festival"] == date(2027, 6, 9)
    assert named["Mid-Autumn Festival"] == date(2027, 9, 15)


def test_a_holiday_on_a_weekend_is_made_up_on_the_next_free_weekday() -> None:
    assert substitute_days_off(2026) == {
        date(2026, 4, 6): "Qingming (substitute day off)",
        date(2026, 5, 4): "Labour Day (substitute day off)",
        date(2026, 10, 5): "National Day (substitute day off)",
    }
    assert list(substitute_days_off(2027)) == [
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 10, 4),
        date(2027, 10, 5),
    ]


def test_a_year_before_the_amendment_has_no_statutory_rule_here() -> None:
    with pytest.raises(ValueError, match="from 2025"):
        statutory_holidays(2024)


def test_a_schedule_that_leaves_out_a_statutory_holiday_is_not_a_whole_year() -> None:
    partial = YearSchedule(2027, frozenset([date(2027, 1, 1)]), frozenset())
    [problem] = partial.problems()
    assert problem.startswith("statutory holidays not listed as days off: 2027-02-05")
    days_off = frozenset(provisional_days_off(2027)) - {date(2027, 2, 6)}
    worked = YearSchedule(2027, days_off, frozenset([date(2027, 2, 6)]))
    assert worked.problems() == ["statutory holidays listed as make-up working days: 2027-02-06"]
