"""The official calendar as a service keeps it: stored schedules, the one in force, warnings.

The registry office enters each year's schedule at the registry, which announces it on
`pledgeflow.registry.calendar`; every service that counts working days stores the schedules
it receives in a table of its own (`calendar_schedules`, one row per version), puts the newest
version of each year in force without a restart, and shows it at
`GET /internal/v1/calendar/{year}`. From a configurable day of the year, a missing schedule for
next year is reported in `/readyz` (as a warning) and logged once a day.

Replicas agree through the database: storing a schedule notifies every replica of the service
(PostgreSQL NOTIFY on `calendar_schedules`, see `shared.notify`), each of which puts the stored
versions in force and counts open deadlines anew at once, and again `SETTLE_SECONDS` later for
work that was under way on the old calendar when the notice arrived; the periodic look every
`calendar_refresh_interval` seconds is the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.topics import REGISTRY_CALENDAR
from shared.workdays import (
    DEFAULT_WARN_FROM,
    CalendarSource,
    Notice,
    OfficialCalendar,
    YearSchedule,
    beijing_date,
    parse_warn_from,
)

log = logging.getLogger(__name__)

CALENDAR_TOPIC = REGISTRY_CALENDAR
YEAR_PUBLISHED = "registry.calendar.year_published"
_SATURDAY = 5
# After a change, the second look that catches work that was under way on the old calendar.
SETTLE_SECONDS = 2.0


def change_channel(service: str) -> str:
    """The NOTIFY channel on which a service's replicas hear of a stored schedule."""
    return f"pledgeflow_calendar_{service}"


@dataclass(frozen=True)
class StoredSchedule:
    """A version of a year's schedule with who entered it and when."""

    schedule: YearSchedule
    entered_by: str
    entered_at: datetime

    @property
    def year(self) -> int:
        return self.schedule.year

    @property
    def version(self) -> int:
        return self.schedule.version


def load_command(year: int, staff_id: str = "<your id>", role: str = "supervisor") -> str:
    """The operator command that loads `year`'s schedule, with the credential of `staff_id` as
    `role` (a registry supervisor or administrator)."""
    return (
        f"pledgeflow calendar load {year} {year}.yaml --token "
        f'"$(pledgeflow credentials issue {staff_id} {role} --audience registry)"'
    )


@dataclass(frozen=True)
class YearView:
    """The schedule in force for a year, where it comes from, and its exceptional days."""

    year: int
    source: CalendarSource
    version: int
    notice: Notice | None
    entered_by: str | None
    entered_at: datetime | None
    non_working_weekdays: list[date]
    working_weekend_days: list[date]


class CalendarBook:
    """The service's calendar in force, kept in step with the schedules it stored."""

    def __init__(self, calendar: OfficialCalendar, warn_from: str = DEFAULT_WARN_FROM) -> None:
        self.calendar = calendar
        self.warn_from = parse_warn_from(warn_from)
        self._stored: dict[int, StoredSchedule] = {}
        self._warned_on: date | None = None
        self._changed: asyncio.Event | None = None

    def install(self, stored: StoredSchedule) -> bool:
        """Put a stored version in force unless it or a newer one is; True if it did."""
        if self.calendar.version(stored.year) >= stored.version:
            return False
        self.calendar.install(stored.schedule)
        self._stored[stored.year] = stored
        self._change_event().set()
        log.info(
            "official calendar year in force",
            extra={"year": stored.year, "version": stored.version},
        )
        return True

    def wake(self) -> None:
        """Say that a schedule may have been stored (by this replica or another)."""
        self._change_event().set()

    async def wait_for_change(self, timeout: float) -> bool:
        """Return when a schedule was put in force or stored since the last call (True), or
        after `timeout` (False)."""
        changed = self._change_event()
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            return False
        finally:
            changed.clear()
        return True

    def _change_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def install_all(self, stored: Iterable[StoredSchedule]) -> list[StoredSchedule]:
        """Put each stored year's newest version in force; returns those that changed."""
        return [s for s in stored if self.install(s)]

    def view(self, year: int) -> YearView:
        """The schedule in force for `year`; raises `CalendarYearNotLoaded` when there is none."""
        source = self.calendar.source(year)
        stored = self._stored.get(year) if source is CalendarSource.OFFICIAL_NOTICE else None
        days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
        days = [d for d in days if d.year == year]
        return YearView(
            year=year,
            source=source,
            version=self.calendar.version(year),
            notice=stored.schedule.notice if stored else None,
            entered_by=stored.entered_by if stored else None,
            entered_at=stored.entered_at if stored else None,
            non_working_weekdays=[
                d for d in days if d.weekday() < _SATURDAY and not self.calendar.is_working_day(d)
            ],
            working_weekend_days=[
                d for d in days if d.weekday() >= _SATURDAY and self.calendar.is_working_day(d)
            ],
        )

    def missing_years(self, now: datetime) -> list[int]:
        """This year if it has no schedule, and next year once the warning day has come."""
        today = beijing_date(now)
        missing = [] if self.calendar.covers(today.year) else [today.year]
        month, day = self.warn_from
        if (today.month, today.day) >= (month, day) and not self.calendar.covers(today.year + 1):
            missing.append(today.year + 1)
        return missing

    def warnings(self, now: datetime) -> dict[str, str]:
        """Readiness warnings, one per missing year, each with the command that loads it."""
        return {
            f"calendar.{year}": (
                f"no official working-day schedule for {year}: deadlines in it are provisional "
                f"until the State Council's notice is loaded with: {load_command(year)}"
            )
            for year in self.missing_years(now)
        }

    def warn_once_a_day(self, now: datetime) -> bool:
        """Log the missing years, at most once per Beijing day; True if it logged."""
        today = beijing_date(now)
        missing = self.missing_years(now)
        if not missing or self._warned_on == today:
            return False
        self._warned_on = today
        for year in missing:
            log.warning(
                "official working-day schedule missing; load it with: %s",
                load_command(year),
                extra={"year": year},
            )
        return True


async def follow_changes(
    book: CalendarBook,
    interval: float,
    catch_up: Callable[[], Awaitable[object]],
    settle: float = SETTLE_SECONDS,
) -> None:
    """Run `catch_up` at each change, once more `settle` seconds after it, and every
    `interval` seconds in any case, until cancelled; a failure is logged and tried again."""
    wait = interval
    while True:
        changed = await book.wait_for_change(wait)
        try:
            await catch_up()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("calendar catch-up failed; trying again")
            changed = True
        wait = min(settle, interval) if changed else interval
