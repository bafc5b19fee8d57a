"""A year's official working-day schedule, as the State Council publishes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.registry.domain.errors import ScheduleInvalid

_SATURDAY = 5


@dataclass(frozen=True)
class YearSchedule:
    """Public holidays and make-up working days (weekend days worked) of one year."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def __post_init__(self) -> None:
        days = self.holidays | self.makeup_workdays
        stray = sorted(d.isoformat() for d in days if d.year != self.year)
        if stray:
            raise ScheduleInvalid(f"dates outside {self.year}: {', '.join(stray)}")
        both = sorted(d.isoformat() for d in self.holidays & self.makeup_workdays)
        if both:
            raise ScheduleInvalid(f"both holiday and make-up working day: {', '.join(both)}")
        weekdays = sorted(d.isoformat() for d in self.makeup_workdays if d.weekday() < _SATURDAY)
        if weekdays:
            raise ScheduleInvalid(
                f"make-up working days must be weekend days: {', '.join(weekdays)}"
            )
