"""The words a bank or a registry clerk reads when an identifier or a schedule is refused, and
which stored deadlines a newly loaded schedule makes stale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.holidays import FIRST_YEAR, statutory_holidays
from shared.identifiers import (
    InvalidIdentifier,
    normalize_uscc,
    parse_patent_number,
    patent_check_digit,
    uscc_check_character,
)
from shared.workdays import (
    CalendarYearNotLoaded,
    CountedDeadline,
    OfficialCalendar,
    ScheduleInvalid,
    YearSchedule,
)


@pytest.mark.parametrize(
    ("act", "code", "message"),
    [
        (
            lambda: normalize_uscc("91310000000000007A"),
            "uscc.check_character",
            "USCC check character is 'A', expected 'H'",
        ),
        (
            lambda: normalize_uscc("9131000000000000"),
            "uscc.length",
            "USCC must have 18 characters, got 16",
        ),
        (
            lambda: uscc_check_character("913100000000000"),
            "uscc.length",
            "USCC body must have 17 characters, got 15",
        ),
        (
            lambda: normalize_uscc("91310000000000OI7X"),
            "uscc.charset",
            "USCC contains characters outside GB 32100 alphabet: IO",
        ),
        (
            lambda: patent_check_digit("2019100000"),
            "patent_number.format",
            "patent application digits must be 8 or 12 ASCII digits",
        ),
        (
            lambda: parse_patent_number("200110000001.5"),
            "patent_number.year",
            "12-digit application numbers start in 2003, got 2001",
        ),
        (
            lambda: parse_patent_number("04100001.3"),
            "patent_number.year",
            "8-digit application numbers cover 1985-2003, got year 04",
        ),
        (
            lambda: parse_patent_number("201950000001.3"),
            "patent_number.type",
            "unknown patent type digit '5'",
        ),
        (
            lambda: parse_patent_number("CN201910000001.1"),
            "patent_number.check_digit",
            "patent check digit is '1', expected '9'",
        ),
    ],
)
def test_a_refused_identifier_says_what_is_wrong(act: object, code: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        act()  # type: ignore[operator]
    assert (refused.value.code, str(refused.value)) == (code, message)


def test_a_year_before_any_schedule_is_refused_with_the_year() -> None:
    calendar = OfficialCalendar(use_library=False)
    with pytest.raises(CalendarYearNotLoaded) as refused:
        calendar.source(FIRST_YEAR - 1)
    assert refused.value.year == FIRST_YEAR - 1
    assert str(refused.value) == f"no working-day schedule available for {FIRST_YEAR - 1}"
    with pytest.raises(TypeError, match="take a date; use beijing_date"):
        calendar.is_working_day(datetime(2026, 1, 5, tzinfo=UTC))  # type: ignore[arg-type]


def test_a_schedule_of_the_first_statutory_year_must_list_its_statutory_holidays() -> None:
    statutory = sorted(d for d in statutory_holidays(FIRST_YEAR) if d.weekday() < 5)
    short = YearSchedule(FIRST_YEAR, frozenset(statutory[1:]), frozenset())
    assert short.problems() == [
        f"statutory holidays not listed as days off: {statutory[0].isoformat()}"
    ]
    with pytest.raises(ScheduleInvalid) as refused:
        short.validate()
    assert str(refused.value) == short.problems()[0]
    YearSchedule(FIRST_YEAR, frozenset(statutory), frozenset()).validate()


def test_a_deadline_counted_on_older_schedules_is_stale_when_a_newer_one_arrives() -> None:
    at = datetime(2027, 1, 4, 16, 0, tzinfo=UTC)  # the end of 4 January 2027 in Beijing
    counted = CountedDeadline(at, provisional=True, basis={2026: 2, 2027: 0})
    assert counted.stale_years({2026: 2}) == []
    assert counted.stale_years({2026: 3, 2027: 1}) == [2026, 2027]
    # stored before counts kept their basis: a provisional one names its own year only
    legacy = CountedDeadline(at, provisional=True)
    assert legacy.stale_years({}) == []
    assert legacy.stale_years({2027: 1}) == [2027]
    firm = CountedDeadline(at)
    assert firm.stale_years({2027: 1}) == []
    assert CountedDeadline(at, basis={2027: 1}).stale_years({2027: 1}) == []
