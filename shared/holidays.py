"""The statutory days off of a year, by the national regulations on public holidays.

Since the 2024 amendment (in force from 2025) every citizen has these days off: New Year's
Day (1 January), the Spring Festival (lunar New Year's Eve and the 1st to 3rd days of the
first lunar month), Qingming (the day of the Qingming solar term), Labour Day (1 and 2 May),
the Dragon Boat Festival (5th day of the 5th lunar month), the Mid-Autumn Festival (15th day
of the 8th lunar month) and National Day (1 to 3 October). A holiday that falls on a Saturday
or Sunday is made up on a working day (Article 6); here it is the first weekday after it that
is not already a day off, which is where every notice since the amendment has put it.

The State Council's yearly notice adds longer breaks and the make-up working days that pay for
them; only the notice can say which, so a year counted on these rules alone is provisional.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar

FIRST_YEAR = 2025
_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


def _solar(value: Solar) -> date:
    return date(value.getYear(), value.getMonth(), value.getDay())


def _lunar_day(year: int, month: int, day: int) -> date:
    return _solar(Lunar.fromYmd(year, month, day).getSolar())


def qingming(year: int) -> date:
    """The day of the Qingming solar term (Beijing time) in ``year``."""
    table = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    return _solar(table["清明"])


@cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The days off the regulations fix for ``year``, each with its holiday's name."""
    if year < FIRST_YEAR:
        raise ValueError(f"the statutory rule applies from {FIRST_YEAR}, not to {year}")
    new_year = _lunar_day(year, 1, 1)
    days = {date(year, 1, 1): "New Year's Day"}
    for offset in range(-1, 3):
        days[new_year + timedelta(days=offset)] = "Spring Festival"
    days[qingming(year)] = "Qingming"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "Labour Day"
    days[_lunar_day(year, 5, 5)] = "Dragon Boat Festival"
    days[_lunar_day(year, 8, 15)] = "Mid-Autumn Festival"
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "National Day"
    return dict(sorted(days.items()))


@cache
def substitute_days_off(year: int) -> dict[date, str]:
    """Weekdays off in place of holidays that fall on a weekend, each with its holiday's name."""
    holidays = statutory_holidays(year)
    taken: dict[date, str] = {}
    for day, name in holidays.items():
        if day.weekday() < _SATURDAY:
            continue
        candidate = day + _ONE_DAY
        while candidate.weekday() >= _SATURDAY or candidate in holidays or candidate in taken:
            candidate += _ONE_DAY
        taken[candidate] = f"{name} (substitute day off)"
    return dict(sorted(taken.items()))


def provisional_days_off(year: int) -> dict[date, str]:
    """Every day off by the regulations alone: statutory holidays and their substitutes."""
    return dict(sorted((statutory_holidays(year) | substitute_days_off(year)).items()))
