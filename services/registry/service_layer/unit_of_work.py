"""Registry's unit of work: every repository of the registry on one transaction."""

from __future__ import annotations

from typing import Self

from services.registry.adapters.gazette import GazetteRepository
from services.registry.adapters.orm import calendar_schedules
from services.registry.adapters.recordals import RecordalRepository
from services.registry.adapters.repository import FilingRepository, RegisterRepository
from shared.calendars import ScheduleStore
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    register: RegisterRepository
    filings: FilingRepository
    calendar: ScheduleStore
    recordals: RecordalRepository
    gazette: GazetteRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.register = RegisterRepository(self.session)
        self.filings = FilingRepository(self.session)
        self.calendar = ScheduleStore(self.session, calendar_schedules)
        self.recordals = RecordalRepository(self.session)
        self.gazette = GazetteRepository(self.session)
        return self
