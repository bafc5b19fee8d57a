"""Where a service keeps the calendar schedules it stored: its `calendar_schedules` table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.calendars import StoredSchedule
from shared.workdays import Notice, YearSchedule


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
