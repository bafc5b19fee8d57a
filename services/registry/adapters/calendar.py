"""The registry's published years of the official calendar, on its `calendar_schedules` table."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.orm import calendar_schedules
from services.registry.domain.calendar import OfficialYear
from shared.calendar_store import ScheduleStore
from shared.calendars import StoredSchedule
from shared.uow import TrackingRepository


class SqlOfficialYears(TrackingRepository):
    """Each year's published schedule versions; the year is the aggregate its events key on."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.schedules = ScheduleStore(session, calendar_schedules)

    async def year(self, year: int) -> OfficialYear:
        """The year with the number of its newest published version."""
        latest = await self.schedules.latest(year)
        return self._seen(OfficialYear(year, version=latest.version if latest else 0))

    async def add(self, stored: StoredSchedule) -> None:
        """Store a published version; a concurrent publisher of the same version fails."""
        await self.schedules.add(stored)

    async def in_force(self) -> list[StoredSchedule]:
        """The newest stored version of every year."""
        return await self.schedules.in_force()

    async def history(self, year: int) -> list[StoredSchedule]:
        """Every stored version of `year`, oldest first."""
        return await self.schedules.history(year)
