"""Year schedules for tests, as the registry office would enter them from a notice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from shared.holidays import provisional_days_off


def span(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def schedule_body(
    year: int,
    days_off: Iterable[date] = (),
    makeup: Iterable[date] = (),
    reference: str | None = None,
    published_on: date | None = None,
) -> dict[str, Any]:
    """A whole year: the statutory days off, `days_off` besides, and the make-up days."""
    makeup = sorted(set(makeup))
    off = (set(provisional_days_off(year)) | set(days_off)) - set(makeup)
    return {
        "notice": {
            "reference": reference or f"国办发明电〔{year - 1}〕9号",
            "published_on": (published_on or date(year - 1, 11, 12)).isoformat(),
        },
        "holidays": [d.isoformat() for d in sorted(off)],
        "makeup_workdays": [d.isoformat() for d in makeup],
    }


# A notice for 2027 as the tests imagine it: a four-day New Year break paid for on Saturday
# 9 January, and a ten-day Spring Festival break (5 to 14 February) paid for on Saturdays
# 30 January and 20 February.
NEW_YEAR_2027 = span(date(2027, 1, 1), date(2027, 1, 4))
SPRING_FESTIVAL_2027 = span(date(2027, 2, 5), date(2027, 2, 14))
MAKEUP_2027 = [date(2027, 1, 9), date(2027, 1, 30), date(2027, 2, 20)]
SCHEDULE_2027 = schedule_body(2027, NEW_YEAR_2027 + SPRING_FESTIVAL_2027, MAKEUP_2027)
# Its amendment: the Spring Festival break runs one working day longer, to Monday 15 February.
AMENDED_2027 = schedule_body(
    2027,
    [*NEW_YEAR_2027, *SPRING_FESTIVAL_2027, date(2027, 2, 15)],
    MAKEUP_2027,
    reference="国办发明电〔2027〕1号",
    published_on=date(2027, 1, 20),
)

# A notice for 2031, a year no library knows: Qingming and National Day breaks made by moving
# weekends, paid for on Saturday 27 September and Saturday 11 October.
QINGMING_2031 = [date(2031, 4, 5), date(2031, 4, 6), date(2031, 4, 7)]
NATIONAL_DAY_2031 = span(date(2031, 10, 1), date(2031, 10, 7))
MAKEUP_2031 = [date(2031, 9, 27), date(2031, 10, 11)]
SCHEDULE_2031 = schedule_body(2031, QINGMING_2031 + NATIONAL_DAY_2031, MAKEUP_2031)
