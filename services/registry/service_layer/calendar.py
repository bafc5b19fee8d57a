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

from services.registry.domain.errors import ScheduleInvalid
from services.registry.domain.events import CalendarYearPublished
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.calendars import StoredSchedule
from shared.workdays import (
    Notice,
    OfficialCalendar,
    YearSchedule,
    end_of_beijing_day,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnterSchedule:
    """A year's schedule from the State Council's notice, as the registry office enters it."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    notice: Notice
    entered_by: str
    at: datetime


async def enter_schedule(
    command: EnterSchedule, calendar: OfficialCalendar, uow: RegistryUnitOfWork
) -> StoredSchedule:
    """Store the schedule as the year's next version, announce it, recount open deadlines."""
    version = await uow.calendar.next_version(command.year)
    schedule = YearSchedule(
        command.year, command.holidays, command.makeup_workdays, version, command.notice
    )
    problems = schedule.problems()
    if problems:
        raise ScheduleInvalid("; ".join(problems))
    stored = StoredSchedule(schedule, command.entered_by, command.at)
    await uow.calendar.add(stored)
    uow.emit(str(command.year), version, _published(stored))
    trial = calendar.copy()
    trial.install(schedule)
    await recount_deadlines(trial, command.at, uow)
    return stored


def _published(stored: StoredSchedule) -> CalendarYearPublished:
    schedule = stored.schedule
    assert schedule.notice is not None
    return CalendarYearPublished(
        year=schedule.year,
        version=schedule.version,
        holidays=tuple(sorted(schedule.holidays)),
        makeup_workdays=tuple(sorted(schedule.makeup_workdays)),
        notice_reference=schedule.notice.reference,
        notice_published_on=schedule.notice.published_on,
        entered_by=stored.entered_by,
        entered_at=stored.entered_at,
    )


async def recount_deadlines(
    calendar: OfficialCalendar, now: datetime, uow: RegistryUnitOfWork
) -> list[str]:
    """Count anew every open deadline that relied on a schedule `calendar` has replaced.

    Returns the filings whose deadline moved (each announced); the caller commits.
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
        uow.track(filing)
    if moved:
        log.info("deadlines moved by a new official schedule", extra={"filings": moved})
    return moved
