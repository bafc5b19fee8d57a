"""The official calendar: schedules entered without a release, and what a year looks like."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.registry.domain.calendar import YearSchedule
from services.registry.service_layer.errors import CalendarYearUnknown
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Command, Query
from shared.workdays import OfficialCalendar

log = logging.getLogger(__name__)

_SATURDAY = 5


@dataclass(frozen=True)
class YearView:
    """The days of a year that break the weekday/weekend rule, and where that comes from."""

    year: int
    source: str
    non_working_weekdays: list[date]
    working_weekend_days: list[date]


class CalendarBook:
    """The in-memory official calendar, kept in step with the schedules in the database."""

    def __init__(self, calendar: OfficialCalendar) -> None:
        self.calendar = calendar
        self._versions: dict[int, int] = {}

    def install(self, schedule: YearSchedule, version: int) -> None:
        """Put a stored schedule into force, unless a newer one already is."""
        if self._versions.get(schedule.year, 0) >= version:
            return
        self.calendar.load_year(schedule.year, schedule.holidays, schedule.makeup_workdays)
        self._versions[schedule.year] = version
        log.info("official calendar year loaded", extra={"year": schedule.year})

    def refresh(self, stored: list[tuple[YearSchedule, int]]) -> None:
        """Put in force every stored schedule that is new or changed since the last look."""
        for schedule, version in stored:
            self.install(schedule, version)


@dataclass(frozen=True)
class SaveYear(Command):
    schedule: YearSchedule
    at: datetime


@dataclass(frozen=True)
class DescribeYear(Query):
    year: int


@dataclass(frozen=True)
class StoredYears(Query):
    """Every stored schedule with its version."""


async def save_year(command: SaveYear, uow: RegistryUnitOfWork, deps: object) -> int:
    """Store a year's schedule as the registry office entered it; returns its version."""
    return await uow.calendar.put(command.schedule, command.at)


async def stored_years(
    query: StoredYears, uow: RegistryUnitOfWork, deps: object
) -> list[tuple[YearSchedule, int]]:
    """Every stored schedule with its version (for replicas catching up)."""
    return await uow.calendar.all()


async def read_year(query: DescribeYear, uow: RegistryUnitOfWork, deps: Any) -> YearView:
    """The non-working weekdays and working weekend days of a year."""
    return await describe_year(query.year, deps.calendar, uow)


async def describe_year(year: int, calendar: OfficialCalendar, uow: RegistryUnitOfWork) -> YearView:
    """The non-working weekdays and working weekend days of a year."""
    if await uow.calendar.get(year) is not None:
        source = "official_notice"
    elif calendar.covers(year):
        source = "library"
    else:
        raise CalendarYearUnknown(f"no schedule for {year}; enter the State Council's notice")
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    days = [d for d in days if d.year == year]
    weekday = [d for d in days if d.weekday() < _SATURDAY]
    weekend = [d for d in days if d.weekday() >= _SATURDAY]
    return YearView(
        year=year,
        source=source,
        non_working_weekdays=[d for d in weekday if not calendar.is_working_day(d)],
        working_weekend_days=[d for d in weekend if calendar.is_working_day(d)],
    )
