"""The official working-day schedules entered by the registry office."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.orm import calendar_years
from services.registry.domain.calendar import YearSchedule


class CalendarRepository:
    """Year schedules, each with a version that grows with every change."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, year: int) -> YearSchedule | None:
        """The stored schedule of `year`, if any."""
        query = select(calendar_years).where(calendar_years.c.year == year)
        row = (await self.session.execute(query)).first()
        return None if row is None else _to_schedule(row._mapping)

    async def all(self) -> list[tuple[YearSchedule, int]]:
        """Every stored schedule with its version."""
        rows = await self.session.execute(select(calendar_years).order_by(calendar_years.c.year))
        return [(_to_schedule(row._mapping), row.version) for row in rows]

    async def put(self, schedule: YearSchedule, at: datetime) -> int:
        """Store a year's schedule, replacing the previous one; returns its new version."""
        current = await self.session.scalar(
            select(calendar_years.c.version)
            .where(calendar_years.c.year == schedule.year)
            .with_for_update()
        )
        version = int(current or 0) + 1
        values = {
            "holidays": sorted(d.isoformat() for d in schedule.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in schedule.makeup_workdays),
            "updated_at": at,
            "version": version,
        }
        if current is None:
            await self.session.execute(calendar_years.insert().values(year=schedule.year, **values))
        else:
            await self.session.execute(
                calendar_years.update().where(calendar_years.c.year == schedule.year).values(values)
            )
        return version


def _to_schedule(row: Any) -> YearSchedule:
    return YearSchedule(
        year=row["year"],
        holidays=frozenset(date.fromisoformat(d) for d in row["holidays"]),
        makeup_workdays=frozenset(date.fromisoformat(d) for d in row["makeup_workdays"]),
    )
