"""The registry's unit of work on SQL: every repository of the registry on one transaction."""

from __future__ import annotations

from typing import Self

from services.registry.adapters.calendar import SqlOfficialYears
from services.registry.adapters.gazette import GazetteRepository
from services.registry.adapters.recordals import RecordalRepository
from services.registry.adapters.repository import SqlFilingRepository, SqlRegisterRepository
from shared.uow import SqlUnitOfWork


class SqlRegistryUnitOfWork(SqlUnitOfWork):
    register: SqlRegisterRepository
    filings: SqlFilingRepository
    calendar: SqlOfficialYears
    recordals: RecordalRepository
    gazette: GazetteRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.register = self.repository(SqlRegisterRepository(self.session))
        self.filings = self.repository(SqlFilingRepository(self.session))
        self.calendar = self.repository(SqlOfficialYears(self.session))
        self.recordals = RecordalRepository(self.session)
        self.gazette = GazetteRepository(self.session)
        return self
