"""Registry's unit of work: the register and the filings on one transaction."""

from __future__ import annotations

from typing import Self

from services.registry.adapters.repository import FilingRepository, RegisterRepository
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    register: RegisterRepository
    filings: FilingRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.register = RegisterRepository(self.session)
        self.filings = FilingRepository(self.session)
        return self
