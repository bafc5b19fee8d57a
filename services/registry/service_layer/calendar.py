"""The official calendar: the registry office enters each year's schedule, once, for all.

An entered schedule is stored as a new version of its year, announced on
`pledgeflow.registry.calendar` for every service that counts working days, and every open
filing whose deadline was counted provisionally or on an older version is counted anew in
the same transaction; each deadline that moves is announced on the filing's topic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.calendars import StoredSchedule
from shared.kernel.messages import Command, Query
from shared.workdays import Notice, OfficialCalendar, YearSchedule, end_of_beijing_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnterSchedule(Command):
    """A year's schedule from the State Council's notice, as the registry office enters it."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    notice: Notice
    entered_by: str
    at: datetime


@dataclass(frozen=True)
class RecountDeadlines(Command):
    """Count anew the open deadlines that relied on a schedule the calendar in force replaced."""

    at: datetime


@dataclass(frozen=True)
class SchedulesInForce(Query):
    """The newest stored version of every year."""


@dataclass(frozen=True)
class ScheduleHistory(Query):
    year: int


async def enter_schedule(
    command: EnterSchedule, uow: RegistryUnitOfWork, deps: Any
) -> StoredSchedule:
    """Store the schedule as the year's next version, announce it, recount open deadlines."""
    year = await uow.calendar.year(command.year)
    schedule = YearSchedule(
        command.year,
        command.holidays,
        command.makeup_workdays,
        year.next_version(),
        command.notice,
    )
    year.publish(schedule, command.entered_by, command.at)
    stored = StoredSchedule(schedule, command.entered_by, command.at)
    await uow.calendar.add(stored)
    trial = deps.calendar.copy()
    trial.install(schedule)
    await recount(trial, command.at, uow)
    return stored


async def recount_deadlines(
    command: RecountDeadlines, uow: RegistryUnitOfWork, deps: Any
) -> list[str]:
    """Count anew, on the calendar in force, the open deadlines that relied on older schedules."""
    return await recount(deps.calendar, command.at, uow)


async def schedules_in_force(
    query: SchedulesInForce, uow: RegistryUnitOfWork, deps: Any
) -> list[StoredSchedule]:
    """The newest stored version of every year (put in force at start and by other replicas)."""
    return await uow.calendar.in_force()


async def schedule_history(
    query: ScheduleHistory, uow: RegistryUnitOfWork, deps: Any
) -> list[StoredSchedule]:
    """Every version of a year's schedule entered here, oldest first."""
    return await uow.calendar.history(query.year)


async def recount(calendar: OfficialCalendar, now: datetime, uow: RegistryUnitOfWork) -> list[str]:
    """Count anew every open deadline that relied on a schedule `calendar` has replaced.

    Returns the filings whose deadline moved (each announced).
    """
    official = calendar.official_years()
    if not official:
        return []
    since = end_of_beijing_day(date(min(official) - 1, 12, 31))
    moved = []
    for filing in await uow.filings.running_deadlines_from(since):
        stale = filing.counted_deadline.stale_years(official)
        if not stale:
            continue
        deadline = registration_deadline(
            filing.clock_started_at, bool(filing.data.trademarks), calendar
        )
        year = stale[0]
        if filing.recount_deadline(deadline, year, official.get(year, 0), now):
            moved.append(filing.filing_id)
        await uow.filings.save(filing)
    if moved:
        log.info("deadlines moved by a new official schedule", extra={"filings": moved})
    return moved
