"""Valuation's unit of work: the register read model and valuations on one transaction."""

from __future__ import annotations

from typing import Self

from services.valuation.adapters.repository import RightRepository, ValuationRepository
from shared.uow import UnitOfWork


class ValuationUnitOfWork(UnitOfWork):
    rights: RightRepository
    valuations: ValuationRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.rights = RightRepository(self.session)
        self.valuations = ValuationRepository(self.session)
        return self
