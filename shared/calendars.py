"""The official calendar as a service keeps it: stored schedules, the one in force, warnings.

The registry office enters each year's schedule at the registry, which announces it on
`pledgeflow.registry.calendar`; every service that counts working days stores the schedules
it receives in a table of its own (`calendar_schedules`, one row per version), puts the newest
version of each year in force without a restart, and shows it at
`GET /internal/v1/calendar/{year}`. From a configurable day of the year, a missing schedule for
next year is reported in `/readyz` (as a warning) and logged once a day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Role, staff
from shared.http import Problem
from shared.openapi import problem_responses
from shared.workdays import (
    DEFAULT_WARN_FROM,
    CalendarSource,
    CalendarYearNotLoaded,
    Notice,
    OfficialCalendar,
    YearSchedule,
    beijing_date,
    parse_warn_from,
)

log = logging.getLogger(__name__)

CALENDAR_TOPIC = "pledgeflow.registry.calendar"
YEAR_PUBLISHED = "registry.calendar.year_published"
_SATURDAY = 5


def calendar_schedule_table(metadata: MetaData) -> Table:
    """Every version of every year's schedule a service has stored; the newest is in force."""
    return Table(
        "calendar_schedules",
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("holidays", JSON, nullable=False),
        Column("makeup_workdays", JSON, nullable=False),
        Column("notice_reference", String(100), nullable=False),
        Column("notice_published_on", Date, nullable=False),
        Column("entered_by", String(64), nullable=False),
        Column("entered_at", DateTime(timezone=True), nullable=False),
        Column("stored_at", DateTime(timezone=True), nullable=False),
    )


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


class ScheduleStore:
    """The `calendar_schedules` table of one service, on the unit of work's session."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table

    async def next_version(self, year: int) -> int:
        """The version an amendment of `year` gets (1 for the first schedule)."""
        latest = await self.session.scalar(
            select(func.max(self.table.c.version)).where(self.table.c.year == year)
        )
        return int(latest or 0) + 1

    async def latest(self, year: int) -> StoredSchedule | None:
        """The newest stored version of `year`, if any."""
        query = (
            select(self.table)
            .where(self.table.c.year == year)
            .order_by(self.table.c.version.desc())
            .limit(1)
        )
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _stored(row)

    async def in_force(self) -> list[StoredSchedule]:
        """The newest stored version of every year."""
        newest = (
            select(self.table.c.year, func.max(self.table.c.version).label("version"))
            .group_by(self.table.c.year)
            .subquery()
        )
        query = (
            select(self.table)
            .join(
                newest,
                (self.table.c.year == newest.c.year) & (self.table.c.version == newest.c.version),
            )
            .order_by(self.table.c.year)
        )
        return [_stored(row) for row in (await self.session.execute(query)).mappings()]

    async def history(self, year: int) -> list[StoredSchedule]:
        """Every stored version of `year`, oldest first."""
        query = select(self.table).where(self.table.c.year == year).order_by(self.table.c.version)
        return [_stored(row) for row in (await self.session.execute(query)).mappings()]

    async def add(self, stored: StoredSchedule) -> None:
        """Store a version; a second writer of the same version fails on the primary key."""
        schedule = stored.schedule
        assert schedule.notice is not None
        await self.session.execute(
            self.table.insert().values(
                year=schedule.year,
                version=schedule.version,
                holidays=sorted(d.isoformat() for d in schedule.holidays),
                makeup_workdays=sorted(d.isoformat() for d in schedule.makeup_workdays),
                notice_reference=schedule.notice.reference,
                notice_published_on=schedule.notice.published_on,
                entered_by=stored.entered_by,
                entered_at=stored.entered_at,
                stored_at=datetime.now(UTC),
            )
        )


def _stored(row: Any) -> StoredSchedule:
    entered_at: datetime = row["entered_at"]
    if entered_at.tzinfo is None:
        entered_at = entered_at.replace(tzinfo=UTC)
    return StoredSchedule(
        YearSchedule(
            year=row["year"],
            holidays=frozenset(date.fromisoformat(d) for d in row["holidays"]),
            makeup_workdays=frozenset(date.fromisoformat(d) for d in row["makeup_workdays"]),
            version=row["version"],
            notice=Notice(row["notice_reference"], row["notice_published_on"]),
        ),
        entered_by=row["entered_by"],
        entered_at=entered_at.astimezone(UTC),
    )


def load_command(year: int) -> str:
    """The operator command that loads `year`'s schedule, credential included."""
    return (
        f"python -m shared.ops load-calendar {year} {year}.yaml "
        '--token "$(python -m shared.ops issue-credential <your id> supervisor)"'
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

    async def wait_for_change(self, timeout: float) -> None:
        """Return when a schedule was put in force since the last call, or after `timeout`."""
        changed = self._change_event()
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass
        changed.clear()

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


class NoticeOut(BaseModel):
    reference: str = Field(description="Reference of the State Council notice")
    published_on: date = Field(description="Date the notice was published")


class YearOut(BaseModel):
    """The working-day schedule in force for a year in this service."""

    year: int = Field(description="Calendar year")
    source: str = Field(
        description="official_notice (entered by the registry office), library (the calendar "
        "library's published years) or provisional_statutory_rule (the holiday regulations "
        "alone: statutory days off, weekends off, no make-up days)"
    )
    provisional: bool = Field(
        description="Whether deadlines counted through this year may still move"
    )
    version: int = Field(description="Version of the official schedule; 0 without a notice")
    notice: NoticeOut | None = Field(description="The notice the schedule comes from")
    entered_by: str | None = Field(description="Who entered the schedule at the registry")
    entered_at: datetime | None = Field(description="When it was entered (UTC)")
    non_working_weekdays: list[date] = Field(description="Monday-to-Friday dates that are days off")
    working_weekend_days: list[date] = Field(
        description="Saturdays and Sundays declared working days (make-up days)"
    )

    @classmethod
    def of(cls, view: YearView) -> YearOut:
        notice = view.notice
        return cls(
            year=view.year,
            source=view.source.value,
            provisional=view.source is CalendarSource.PROVISIONAL,
            version=view.version,
            notice=NoticeOut(reference=notice.reference, published_on=notice.published_on)
            if notice
            else None,
            entered_by=view.entered_by,
            entered_at=view.entered_at,
            non_working_weekdays=view.non_working_weekdays,
            working_weekend_days=view.working_weekend_days,
        )


YearPath = Annotated[int, Path(ge=1949, le=2200, description="Calendar year")]


def book_of(request: Request) -> CalendarBook:
    """The calendar book of the app serving the request."""
    book = request.app.state.calendar_book
    assert isinstance(book, CalendarBook)
    return book


def year_out(book: CalendarBook, year: int) -> YearOut:
    """The schedule in force for `year`, or 404 `calendar.year_not_loaded`."""
    try:
        return YearOut.of(book.view(year))
    except CalendarYearNotLoaded as exc:
        raise Problem(
            404,
            "calendar.year_not_loaded",
            "No working-day schedule for this year",
            f"no schedule for {year}; enter the State Council's notice",
        ) from exc


def calendar_router(*roles: Role, tag: str) -> APIRouter:
    """`GET /internal/v1/calendar/{year}` for the given staff roles."""
    router = APIRouter(
        prefix="/internal/v1",
        tags=[tag],
        dependencies=[Depends(staff(*roles))],
        responses=problem_responses(401, 403, 404, 422),
    )

    @router.get("/calendar/{year}", response_model=YearOut)
    async def calendar_year(year: YearPath, request: Request) -> YearOut:
        """The working-day schedule this service counts deadlines on for a year."""
        return year_out(book_of(request), year)

    return router
